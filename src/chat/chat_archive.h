/* chat_archive - what is done to a whole channel: channel_archive and channel_unarchive
 * (owners and admins, and a private channel's creator) and channel_delete (owners and
 * admins); auth_can decides (AUTH_ACT_CHANNEL_ARCHIVE, AUTH_ACT_CHANNEL_DELETE), never
 * #general or a direct message (docs/protocol.md, "Archiving and deleting channels").
 *
 * Archiving is a stored property: it applies in memory at once (nothing more is written
 * into the channel from the next request on) and, once stored, every connected member gets
 * the channel again, marked archived. Deleting applies at once too: the channel is a
 * tombstone nobody finds (its name is free, nothing more is written to it), its store
 * delete takes its rows; once that is stored, every member's sessions leave it
 * (`channel_left`) and the requester gets `channel_deleted`. */
#ifndef PARLEY_CHAT_ARCHIVE_H
#define PARLEY_CHAT_ARCHIVE_H

#include "chat/chat_session.h"
#include "json/json_env.h"

/* channel_archive {"channel"}: answered `channel` (archived) with the request id. */
void chat_archive_archive(chat_session_t *s, const json_env_t *e);
/* channel_unarchive {"channel"}: answered `channel` with the request id. */
void chat_archive_unarchive(chat_session_t *s, const json_env_t *e);
/* channel_delete {"channel"}: answered `channel_deleted` {"channel"} with the request id. */
void chat_archive_delete(chat_session_t *s, const json_env_t *e);

/* After a stored archive or unarchive (here or elsewhere): every connected member of ch but
 * except (NULL: none) gets the channel as it is now. */
void chat_archive_tell(chat_hub_t *h, chat_channel_t *ch, const chat_session_t *except);
/* After a stored delete of ch (a tombstone already): every connected session leaves it
 * (`channel_left`) and what it held is freed. */
void chat_archive_gone(chat_channel_t *ch);

#endif
