// Package timers makes entities' deadlines durable. Entities record their
// deadlines in their events (an agent's heartbeat lapse, a task's timeout, a
// retry's backoff, a vote's close); an Index reads them from the store's log
// like a read model, and a Watcher wakes each entity whose deadline has
// passed with its kind's wake-up command. The entity then decides what is
// due on its own authoritative state, so an index that lags or runs early
// only causes a wake-up that decides nothing. Because no deadline lives only
// in memory, a restart loses none: the index is rebuilt from the log and the
// watcher wakes every entity whose deadline passed while Hive was down.
package timers
