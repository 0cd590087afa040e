/* cli_backup - `parley backup FILE [--db PATH | --store URL] [--files DIR]`: a consistent copy
 * of the SQLite database a server uses, made while it serves and writes
 * (store_sqlite_backup), then a line on stdout naming the copy and saying how to copy the
 * uploaded files (--files, or beside the database as the server finds them: parley.db ->
 * parley.files), which the command does not copy: they are content-addressed and never
 * rewritten, so copying them after the database (rsync -a, tar) gives every file it names.
 *
 * --db and --store (and their PARLEY_DB, PARLEY_STORE twins) name the database as they do for
 * the server. A PostgreSQL store is PostgreSQL's to back up: the command prints pg_dump's
 * advice on stderr and exits 2. docs/backups.md is the operator's page.
 *
 * Testing knob, not a flag: PARLEY_TEST_BACKUP_SLOW=1 copies a page per step with 5 ms
 * between steps, so that a test's writes land while the copy is being made. */
#ifndef PARLEY_CLI_BACKUP_H
#define PARLEY_CLI_BACKUP_H

/* Runs the command from its words (argv[0] is "backup"; borrowed). Returns the exit status:
 * 0 copied, 1 the copy failed, 2 a usage error or a store this command does not copy (after a
 * message on stderr). */
int cli_backup_main(int argc, char **argv);

#endif
