/* chat_files - what a message does with the files it carries (docs/protocol.md, "Files"):
 * the files field of a msg checked and turned into what the message stores and delivers,
 * and, once committed, the records told which message carries them, or that it was deleted
 * (its files go when nothing else names their bytes). On the hub's loop. */
#ifndef PARLEY_CHAT_FILES_H
#define PARLEY_CHAT_FILES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "files/files.h"
#include "store/store.h"

/* payload.files of a msg by user in channel: an array of 1 to FILES_PER_MSG objects
 * {"id": ID} (or bare ID strings), each an upload of that user to that channel that no
 * message carries yet, none twice. Appends the JSON array the message carries to out and
 * reserves each file (chat_files_unreserve gives them back if the message is not written),
 * or returns a static sentence for bad_payload (nothing reserved, out untouched). */
const char *chat_files_take(files_t *f, json_t *files, uint64_t user, const char *channel,
                            buf_t *out);
/* The message carrying json (chat_files_take's out) was not written after all. */
void chat_files_unreserve(files_t *f, const char *json);
/* A committed event: a msg's files recorded as carried by it, a delete's target's released. */
void chat_files_commit(files_t *f, const store_msg_t *m);

#endif
