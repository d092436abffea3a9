// Package events is the simulator's /v2/events broker: a server-sent events
// stream with Marathon's wire format (BEHAVIOUR.md §8).
//
// Publish marshals an event once and fans the encoded frame out to every
// subscribed stream without blocking; a stream that falls more than
// Options.BufferPerSubscriber events behind loses events, as Marathon drops
// them beyond --event_stream_max_outstanding_messages, and the loss is
// counted per subscriber in Stats. PublishAt takes the event's time from
// the caller, so that a publisher can record events under its own lock and
// publish them after releasing it.
package events
