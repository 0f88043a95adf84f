// Package reactions carries decisions from one entity to another: a
// workflow's dispatched step becomes a task submitted to its swarm, a
// swarm's assignment becomes a task started on its agent, an agent lost
// becomes a member lost in its swarm, and so on (see Rules).
//
// A Router follows the store's global log from its checkpoint, as a
// follower of the process's events.Tail (Config.Tail), and, for each
// event, asks the entities the event concerns to handle the commands the
// rules derive from it. A reaction is derived from the event alone (its time
// is the event's recorded time), so handling an event again gives the same
// commands. The router saves its checkpoint, as an event of its own stream,
// only after every reaction to the events before it was handled; after a
// crash it resumes there and sends some commands a second time; a
// checkpoint the store refuses (a full disk) is saved later, which only
// means more of them. While the store cannot be reached the router waits
// (its follower reads again after a pause) and reactions that failed are
// retried with backoff, so it goes on by itself once the store is back.
// Entities
// make that harmless: every command a reaction sends is idempotent (a task
// already submitted, an assignment already recorded, a swarm event already
// seen is a no-op), so no task is submitted, assigned or finished twice.
//
// Within a page of the log, reactions to the same entity run in log order
// and reactions to different entities run in parallel. A rejected reaction
// (the target decided no) is logged and counted, and its compensation, if
// the rule gave one, is sent instead. Any other failure (the store or the
// entity unavailable) is retried with backoff, holding the router at that
// page: reactions are delayed, never skipped.
package reactions
