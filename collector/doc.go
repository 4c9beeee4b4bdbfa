// Package collector sends arkeep's automatic collection steps (notices,
// reminders, short-payment notices) and records that they were sent.
//
// # Flow
//
// The clock in the serve command finds the automatic steps that are due and
// enqueues one Job per step on the JetStream work-queue stream "ARJOBS"
// (Queue.Enqueue, Nats-Msg-Id = the step id). Every arkeep instance runs a
// Worker on the same durable consumer, so each job is handed to one worker at
// a time. For each job the worker:
//
//  1. asks the books whether reminder.sent.v1 is already recorded for the
//     step (Ledger.Sent); if so it acks and stops — a recorded step is never
//     sent again;
//  2. chooses the channel: the webhook if the job has one, else email if it
//     has an address and SMTP is configured. With neither it records
//     channel "manual", outcome "no_contact" and acks; the serve command
//     turns that record into a manual task for the account's collector;
//  3. delivers: a signed HTTP POST of the job as JSON (headers
//     Idempotency-Key = step id, X-Arkeep-Signature = "sha256=" + hex
//     HMAC-SHA256 of the body), or an email whose Message-ID derives from
//     the step id (MessageID);
//  4. on success records outcome "delivered" (Ledger.RecordSent) and acks.
//     A transient failure (network, 408, 429, 3xx, 5xx, SMTP 4xx) is sent
//     back with NakWithDelay(Backoff[attempt-1]); a permanent one (other
//     4xx, SMTP 5xx, a malformed address) or the MaxDeliver-th failed
//     attempt publishes the job to "arjobs.dead.<customer>" on the
//     "ARDEAD" stream, records outcome "failed" (so the step is done, with a
//     failure, and not retried for ever) and acks.
//
// Ledger errors never ack: the job is sent back and tried again later, so a
// step is never lost because the books were briefly unavailable.
//
// # Sent exactly once
//
// Delivery is at-least-once; what makes each step count once is the step id
// used as the idempotency key at every stage:
//
//   - Enqueueing twice (two instances' clocks, a re-run) is one job within
//     the stream's 24h duplicate window; outside it, step 1 drops the job.
//   - A job is acked only after its reminder.sent.v1 is recorded, so a
//     worker that dies at any point leaves the job on the queue, and the
//     server hands it to another worker after AckWait. Each job's handling
//     is bounded below AckWait, so two workers never hold one job at once.
//   - The only window for a repeated delivery is a worker dying (or its
//     RecordSent failing) after delivering and before recording. The next
//     attempt finds no record and delivers again with the same
//     Idempotency-Key / Message-ID, so the receiver can recognise the
//     repeat. A worker that delivered but failed to record remembers it (in
//     memory) and, if the job comes back to it, only retries the record.
//   - The books hold one reminder.sent.v1 per step because RecordSent's
//     command id is derived from the step id: recording twice (a retry after
//     a lost reply, two workers after an AckWait expiry) is recorded once.
//   - Once recorded, the Sent check before delivery stops every later
//     attempt: redeliveries after a lost ack, re-enqueued jobs, restarts.
//
// # Attempts
//
// The consumer has no server-side MaxDeliver (see Worker.consumerConfig):
// the worker counts attempts with the message's NumDelivered and ends a job
// itself, so an interrupted last attempt is not stranded on the queue.
// Ledger errors and crashes also count as attempts; a job whose count is
// past MaxDeliver is still delivered once more and only recorded "failed"
// if that delivery fails.
//
// Worker.Stats exposes counters (delivered/failed by channel, retries,
// dead letters, ledger errors) for metrics.
package collector
