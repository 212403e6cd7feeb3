/*
 * exitcodes.h
 *	Exit statuses of pgwal-read and kafka-write.  Scripts act on these, so
 *	they are part of the interface: never renumber one, only add.  Each man
 *	page lists them in its EXIT STATUS section.
 */
#ifndef PGWAL_EXITCODES_H
#define PGWAL_EXITCODES_H

#define EXIT_OK            0  /* done: --endpos reached, end of input, clean stop on a signal */
#define EXIT_ERROR         1  /* any failure not listed below */
#define EXIT_USAGE         2  /* bad command line */
#define EXIT_CONNECT       3  /* could not connect or authenticate */
#define EXIT_OUTPUT        4  /* could not write the output (EPIPE, disk full) */
#define EXIT_CHECKPOINT    5  /* checkpoint file unusable or behind the slot */
#define EXIT_SLOT_MISSING  6  /* replication slot does not exist */
#define EXIT_SLOT_LOST     7  /* slot invalidated (wal_status lost) or recreated */
#define EXIT_SLOT_BUSY     8  /* slot is active for another process */
#define EXIT_SLOT_PLUGIN   9  /* slot uses another output plugin */
#define EXIT_PUBLICATION   10 /* publication does not exist */
#define EXIT_SERVER_CONFIG 11 /* server not set up for logical decoding */
#define EXIT_PERMISSION    12 /* role lacks the REPLICATION attribute or a privilege */
#define EXIT_PROTOCOL      13 /* the server sent something that cannot be decoded */
#define EXIT_POSITION      14 /* a position file is refused: past the WAL, or not this slot's */
#define EXIT_BAD_INPUT     20 /* kafka-write: a bad input line */
#define EXIT_DELIVERY      21 /* kafka-write: messages were not delivered */
#define EXIT_KAFKA_FATAL   22 /* kafka-write: fatal producer error */
#define EXIT_FENCED        23 /* kafka-write: fenced by a newer writer with the same id */
#define EXIT_TXN_REFUSED   24 /* kafka-write: the brokers refuse transactions */
#define EXIT_TOO_LARGE     25 /* kafka-write: a message too large for Kafka */
#define EXIT_TOPIC_CLASH   26 /* kafka-write: two topic names Kafka considers colliding */

#endif
