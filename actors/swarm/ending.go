package swarm

import (
	"slices"
	"strconv"
	"strings"
	"time"

	hivev1 "hive/proto/hive/v1"
)

// retryWait is how long a task waits before its next attempt after attempt
// failed: backoff·2^(attempt−1), at most MaxRetryWait.
func retryWait(backoff time.Duration, attempt int) time.Duration {
	wait := backoff
	for i := 1; i < attempt && wait < MaxRetryWait; i++ {
		wait *= 2
	}
	return min(wait, MaxRetryWait)
}

// endAssignment ends the current attempt of the assigned task seq without
// a result: the task waits for a retry if attempts remain and the cause
// allows it (only "failed" can be final by itself), or fails for good.
func (s *State) endAssignment(seq uint64, cause, reason string, retryable bool, at time.Time) {
	t, _ := s.tasks.get(seq)
	if t.attempt < t.maxAttempts && (retryable || cause != CauseFailed) {
		wait := retryWait(t.backoff, t.attempt)
		s.emit(&hivev1.TaskAttemptFailed{
			SwarmId: s.id, TaskId: TaskID(s.id, seq), AgentId: t.agent, RunId: t.runID, StepId: t.stepID, Key: t.key,
			Attempt: int32(t.attempt), Cause: cause, Reason: reason, RetryAtUnixNano: nanos(at.Add(wait)), AtUnixNano: nanos(at),
			ExcludeAgent: cause != CauseAgentLeft,
		})
		if wait == 0 {
			s.requeue(seq, at)
		}
		return
	}
	s.emit(&hivev1.TaskFailed{
		SwarmId: s.id, TaskId: TaskID(s.id, seq), AgentId: t.agent, RunId: t.runID, StepId: t.stepID, Key: t.key,
		Attempt: int32(t.attempt), Failure: &hivev1.TaskFailure{Cause: cause, Reason: reason}, AtUnixNano: nanos(at),
	})
}

// requeue puts the waiting task seq back in the queue.
func (s *State) requeue(seq uint64, at time.Time) {
	t, _ := s.tasks.get(seq)
	s.emit(&hivev1.TaskRequeued{
		SwarmId: s.id, TaskId: TaskID(s.id, seq), RunId: t.runID, StepId: t.stepID, Key: t.key,
		Attempt: int32(t.attempt), AtUnixNano: nanos(at),
	})
}

// unassign frees the capacity the assignment of t took, counting a failure
// against its member if the attempt failed or timed out.
func (s *State) unassign(t *task, cause string) {
	if t.status != TaskStatusAssigned {
		return
	}
	s.setMember(t.agent, func(m *member) {
		m.load = max(m.load-1, 0)
		if cause == CauseFailed || cause == CauseTimeout {
			m.failed++
			m.restat()
		}
	})
	t.agent, t.deadline = "", time.Time{}
}

// finish forgets the unfinished task t, remembering its outcome.
func (s *State) finish(t *task, outcome TaskStatus, agent string) {
	s.tasks.del(t.seq)
	if t.runID != "" {
		s.finishedForRun(t.runID)
	}
	s.remember(t.seq, finished{key: t.key, outcome: outcome, agent: agent})
}

// remember adds the task seq, finished by the event being applied, to the
// memory of finished tasks.
func (s *State) remember(seq uint64, f finished) {
	old, oldF, evicted := s.finished.add(seq, f, s.at, RecentTasks)
	if evicted {
		s.forgetKey(old, oldF)
	}
}

// forgetKey forgets the key of the finished task seq, which the memory
// no longer holds, unless a newer task holds it.
func (s *State) forgetKey(seq uint64, f finished) {
	if f.key == "" {
		return
	}
	if k, ok := s.keys.get(f.key); ok && k == seq {
		s.keys.del(f.key)
	}
}

// forgetOld forgets the finished tasks and decided proposals that ended
// more than RecallWindow events before the event being applied.
func (s *State) forgetOld() {
	if s.at <= RecallWindow {
		return
	}
	horizon := s.at - RecallWindow
	for at, ok := s.finished.oldest(); ok && at <= horizon; at, ok = s.finished.oldest() {
		seq, f, _ := s.finished.dropOldest()
		s.forgetKey(seq, f)
	}
	for at, ok := s.decided.oldest(); ok && at <= horizon; at, ok = s.decided.oldest() {
		s.decided.dropOldest()
	}
}

// applyEnding applies the events that end an attempt or a task; it
// reports false for an event it does not know.
func (s *State) applyEnding(msg any) bool {
	switch m := msg.(type) {
	case *hivev1.TaskAttemptFailed:
		if t := s.mutTask(seqOf(m.GetTaskId())); t != nil {
			s.unassign(t, m.GetCause())
			t.status, t.retryAt = TaskStatusWaiting, unixNano(m.GetRetryAtUnixNano())
			t.lastAgent, t.lastCause = m.GetAgentId(), m.GetCause()
			if m.GetExcludeAgent() && !t.excludes(m.GetAgentId()) {
				t.excluded = append(slices.Clip(t.excluded), exclusion{agent: m.GetAgentId(), cause: m.GetCause(), attempt: int(m.GetAttempt())})
			}
		}
	case *hivev1.TaskRequeued:
		if t := s.mutTask(seqOf(m.GetTaskId())); t != nil && t.status == TaskStatusWaiting {
			t.status, t.retryAt, t.queuedAt = TaskStatusQueued, time.Time{}, unixNano(m.GetAtUnixNano())
			s.enqueue(t)
		}
	case *hivev1.TaskFailed:
		if t := s.mutTask(seqOf(m.GetTaskId())); t != nil {
			s.unassign(t, m.GetFailure().GetCause())
			s.counts.failed++
			s.finish(t, TaskStatusFailed, m.GetAgentId())
		}
	case *hivev1.TaskCancelled:
		if t := s.mutTask(seqOf(m.GetTaskId())); t != nil {
			if t.status == TaskStatusQueued {
				s.dequeue(t)
			}
			s.unassign(t, "")
			s.counts.cancelled++
			s.finish(t, TaskStatusCancelled, m.GetAgentId())
		}
	default:
		return false
	}
	return true
}

// seqOf is the sequence number of a task id in one of the swarm's events.
// Events are trusted: only the number after the last '.' is read.
func seqOf(taskID string) uint64 {
	seq, _ := strconv.ParseUint(taskID[strings.LastIndexByte(taskID, '.')+1:], 10, 64)
	return seq
}
