package collector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/arkeep/arkeep/domain"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/arkeep/arkeep/eventstore"
)

// Stream and subject layout. These names are part of the stored data: never
// rename them.
//
// The jobs stream takes "arjobs.job.>" rather than all of "arjobs.>":
// JetStream refuses two streams whose subjects overlap, and the dead-letter
// subjects "arjobs.dead.<token>" belong to the separate ARDEAD stream (a
// dead letter must not land back on the work queue, where the worker would
// take it again).
const (
	// JobsStream is the work-queue stream of reminder jobs.
	JobsStream = "ARJOBS"
	// DeadStream keeps the jobs that failed for good, for an operator.
	DeadStream = "ARDEAD"

	jobsSubjects = "arjobs.job.>"
	jobPrefix    = "arjobs.job."
	deadSubjects = "arjobs.dead.>"
	deadPrefix   = "arjobs.dead."

	// jobsDuplicates is the jobs stream's duplicate window: the same step
	// enqueued again within it (two instances' clocks, a re-run of the day)
	// is dropped by the server. Outside it, the worker's Sent check still
	// stops a second delivery once the first is recorded.
	jobsDuplicates = 24 * time.Hour
)

// Channels and outcomes passed to Ledger.RecordSent.
const (
	ChannelWebhook = "webhook"
	ChannelEmail   = "email"
	// ChannelManual is recorded (with OutcomeNoContact) for a step that has
	// no usable contact; the schedule turns it into a call for the account's
	// collector (domain: the no-contact rule of the dunning steps).
	ChannelManual = domain.ChannelManual

	OutcomeDelivered = "delivered"
	OutcomeFailed    = "failed"
	OutcomeNoContact = "no_contact"
)

// Job is one automatic step to deliver. StepID is the step's identity
// (invoice/action/date, or invoice/short_payment_notice/payment) and the
// idempotency key everywhere: the jobs stream's Nats-Msg-Id, the webhook's
// Idempotency-Key, the email's Message-ID and the command id of the
// reminder.sent.v1 record.
//
// The JSON form is what goes on the queue and what a webhook receives.
type Job struct {
	StepID       string `json:"step_id"`
	Customer     string `json:"customer"`
	CustomerName string `json:"customer_name,omitempty"`
	Invoice      string `json:"invoice"`
	Action       string `json:"action"`
	StepDate     string `json:"step_date"`
	Currency     string `json:"currency"`
	Outstanding  string `json:"outstanding"`
	Due          string `json:"due"`
	// Contacts known when the job was made; "" = none.
	Email   string `json:"email,omitempty"`
	Webhook string `json:"webhook,omitempty"`
}

func (j Job) check() error {
	var errs []error
	if j.StepID == "" {
		errs = append(errs, errors.New("collector: job has no StepID"))
	}
	if j.Customer == "" {
		errs = append(errs, errors.New("collector: job has no Customer"))
	}
	return errors.Join(errs...)
}

// DeadLetter is the body of a message on the ARDEAD stream.
type DeadLetter struct {
	Job      Job       `json:"job"`
	Channel  string    `json:"channel,omitempty"`
	Reason   string    `json:"reason"`
	Attempts int       `json:"attempts"`
	At       time.Time `json:"at"`
	// Raw is the original message body when it could not be decoded as a Job.
	Raw []byte `json:"raw,omitempty"`
}

// Queue is the work-queue stream "ARJOBS" plus its dead-letter stream
// "ARDEAD". It is safe for concurrent use.
type Queue struct {
	js jetstream.JetStream
}

// OpenQueue creates or updates the jobs stream (work-queue retention, file
// storage, 24h duplicate window) and the dead-letter stream (limits
// retention), both with the given number of replicas. replicas 0 keeps each
// existing stream's replicas and creates a missing one with 1
// (eventstore.StreamReplicas).
func OpenQueue(ctx context.Context, js jetstream.JetStream, replicas int) (*Queue, error) {
	if js == nil {
		return nil, errors.New("collector: OpenQueue: nil JetStream")
	}
	if replicas < 0 {
		return nil, fmt.Errorf("collector: OpenQueue: invalid replicas %d", replicas)
	}
	streams := []struct {
		name   string
		config func(replicas int) jetstream.StreamConfig
	}{{JobsStream, jobsStreamConfig}, {DeadStream, deadStreamConfig}}
	for _, st := range streams {
		r, err := eventstore.StreamReplicas(ctx, js, st.name, replicas)
		if err != nil {
			return nil, fmt.Errorf("collector: %w", err)
		}
		if _, err := eventstore.EnsureStream(ctx, js, st.config(r)); err != nil {
			return nil, fmt.Errorf("collector: %w", err)
		}
	}
	return &Queue{js: js}, nil
}

func jobsStreamConfig(replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        JobsStream,
		Description: "arkeep reminder jobs (collector work queue)",
		Subjects:    []string{jobsSubjects},
		// A job is removed once a worker acks it.
		Retention: jetstream.WorkQueuePolicy,
		// Jobs wait until taken: no age or count limits. If the server
		// runs out of room, refuse new jobs (the clock retries) rather
		// than drop queued ones.
		MaxMsgs:  -1,
		MaxBytes: -1,
		Discard:  jetstream.DiscardNew,
		Storage:  jetstream.FileStorage,
		Replicas: replicas,
		// Dedup of a step enqueued twice.
		Duplicates: jobsDuplicates,
	}
}

func deadStreamConfig(replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        DeadStream,
		Description: "arkeep reminder jobs that failed for good",
		Subjects:    []string{deadSubjects},
		Retention:   jetstream.LimitsPolicy,
		MaxMsgs:     -1,
		MaxBytes:    -1,
		Discard:     jetstream.DiscardNew,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		// A worker that dies after dead-lettering and before acking
		// dead-letters the job again on redelivery: one entry.
		Duplicates: jobsDuplicates,
	}
}

// JobSubject is the subject a customer's jobs are published on.
func JobSubject(customer string) string { return jobPrefix + eventstore.Token(customer) }

// DeadSubject is the subject a customer's dead letters are published on.
func DeadSubject(customer string) string { return deadPrefix + eventstore.Token(customer) }

// Enqueue publishes a job with Nats-Msg-Id = StepID, so the same step
// enqueued twice within the duplicate window is one job. A duplicate is not
// an error.
func (q *Queue) Enqueue(ctx context.Context, j Job) error {
	if err := j.check(); err != nil {
		return err
	}
	body, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("collector: encode job %q: %w", j.StepID, err)
	}
	msg := &nats.Msg{Subject: JobSubject(j.Customer), Data: body}
	if _, err := q.js.PublishMsg(ctx, msg, jetstream.WithMsgID(j.StepID)); err != nil {
		return fmt.Errorf("collector: enqueue %q: %w", j.StepID, err)
	}
	return nil
}

// deadLetter publishes d to ARDEAD with Nats-Msg-Id = the step id, so a
// repeated dead-lettering of one job is one entry.
func (q *Queue) deadLetter(ctx context.Context, customer, msgID string, d DeadLetter) error {
	body, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("collector: encode dead letter: %w", err)
	}
	msg := &nats.Msg{Subject: DeadSubject(customer), Data: body}
	var opts []jetstream.PublishOpt
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	if _, err := q.js.PublishMsg(ctx, msg, opts...); err != nil {
		return fmt.Errorf("collector: dead-letter %q: %w", msgID, err)
	}
	return nil
}
