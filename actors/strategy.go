package actors

import (
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// backoffStrategy supervises entity actors. A failed actor is restarted
// (and so recovers from its stream) after a delay that doubles with each
// failure within the restart window, from InitialBackoff up to MaxBackoff,
// with up to 10% jitter; past MaxRestarts failures in the window it is
// stopped instead, and the next command for the entity starts a fresh actor.
// (protoactor's own backoff strategy grows linearly and never gives up.)
type backoffStrategy struct {
	cfg    Config
	logger *slog.Logger
}

var _ actor.SupervisorStrategy = (*backoffStrategy)(nil)

// HandleFailure implements actor.SupervisorStrategy.
func (s *backoffStrategy) HandleFailure(_ *actor.ActorSystem, supervisor actor.Supervisor, child *actor.PID, rs *actor.RestartStatistics, reason, _ any) {
	if rs.NumberOfFailures(s.cfg.RestartWindow) == 0 {
		rs.Reset()
	}
	rs.Fail()
	failures := rs.NumberOfFailures(s.cfg.RestartWindow)
	if failures > s.cfg.MaxRestarts {
		s.logger.Error("entity keeps failing; stopping its actor", "actor", child.Id, "failures", failures, "reason", reason)
		supervisor.StopChildren(child)
		return
	}
	delay := backoff(s.cfg.InitialBackoff, s.cfg.MaxBackoff, failures)
	s.logger.Warn("entity failed; restarting it from its stream", "actor", child.Id, "failures", failures, "delay", delay, "reason", reason)
	delay += time.Duration(rand.Int64N(int64(delay/10) + 1))
	time.AfterFunc(delay, func() { supervisor.RestartChildren(child) })
}

// backoff is the delay before the restart that follows the n-th failure.
func backoff(initial, maxDelay time.Duration, n int) time.Duration {
	d := initial
	for i := 1; i < n && d < maxDelay; i++ {
		d *= 2
	}
	return min(d, maxDelay)
}
