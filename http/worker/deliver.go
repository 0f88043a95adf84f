package worker

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"
)

// errSuperseded ends the delivery of a result whose attempt is over: Hive
// lists a later attempt of the task, or a later attempt's result replaced
// it.
var errSuperseded = errors.New("a later attempt of the task superseded the result")

// delivery is a result being sent.
type delivery struct {
	attempt int
	cancel  context.CancelCauseFunc
}

// keep writes r to the outbox and delivers it until Hive takes or refuses
// it, or ctx ends (the result then stays in the outbox for the next start).
func (w *Worker) keep(ctx context.Context, r report) {
	if err := w.box.put(r); err != nil {
		w.logger.Error("result not kept on disk: sending it from memory only", "task", r.TaskID, "err", err)
	}
	w.deliverInBackground(ctx, r)
}

// deliverInBackground delivers r in a goroutine of w.reports, replacing
// the delivery of an earlier attempt of its task.
func (w *Worker) deliverInBackground(ctx context.Context, r report) {
	dctx, cancel := context.WithCancelCause(ctx)
	w.mu.Lock()
	if old, ok := w.pending[r.TaskID]; ok {
		old.cancel(errSuperseded)
	}
	w.pending[r.TaskID] = delivery{attempt: r.Attempt, cancel: cancel}
	w.mu.Unlock()
	w.reports.Go(func() {
		defer cancel(nil)
		defer w.settle(r)
		w.deliver(dctx, r)
	})
}

// deliver sends r until Hive takes or refuses it, backing off (capped,
// with jitter) while Hive is unreachable or unavailable.
func (w *Worker) deliver(ctx context.Context, r report) {
	log := w.logger.With("task", r.TaskID, "attempt", r.Attempt, "step", r.StepID)
	wait := w.cfg.ReportBackoff
	for !w.deliveryEnded(ctx, log, r) {
		call, cancel := context.WithTimeout(ctx, w.cfg.ReportTimeout)
		err := r.send(call, w.api)
		cancel()
		if w.deliveryEnded(ctx, log, r) {
			return
		}
		switch judge(err) {
		case taken:
			logTaken(log, r)
			w.drop(log, r)
			return
		case notOurs:
			log.Warn("result refused: the task is no longer the agent's", "err", err)
			w.drop(log, r)
			return
		case invalid:
			if !r.Failed {
				log.Warn("output refused: reporting the task as failed", "err", err)
				r = r.refusedOutput(err)
				if err := w.box.put(r); err != nil {
					log.Error("failure not kept on disk: sending it from memory only", "err", err)
				}
				continue
			}
			log.Error("failure report refused", "err", err)
			w.drop(log, r)
			return
		}
		d := jitter(wait)
		wait = min(2*wait, w.cfg.MaxReportBackoff)
		log.Warn("result not reported yet: kept, trying again", "err", err, "retry_in", d)
		sleep(ctx, d)
	}
}

// deliveryEnded says whether r's delivery ended: superseded (r is dropped), or
// stopped with the worker (r stays in the outbox for the next start).
func (w *Worker) deliveryEnded(ctx context.Context, log *slog.Logger, r report) bool {
	if errors.Is(context.Cause(ctx), errSuperseded) {
		log.Info("result dropped: a later attempt superseded it")
		w.drop(log, r)
		return true
	}
	return ctx.Err() != nil
}

func logTaken(log *slog.Logger, r report) {
	if r.Failed {
		log.Info("task failed", "reason", r.Reason, "retryable", r.Retryable)
		return
	}
	log.Info("task completed")
}

// drop removes r from the outbox.
func (w *Worker) drop(log *slog.Logger, r report) {
	if err := w.box.remove(r); err != nil {
		log.Error("result not removed from the outbox: Hive is sent it again at the next start", "err", err)
	}
}

// settle forgets r's delivery, unless a later one replaced it, and says a
// delivery ended.
func (w *Worker) settle(r report) {
	w.mu.Lock()
	if d, ok := w.pending[r.TaskID]; ok && d.attempt == r.Attempt {
		delete(w.pending, r.TaskID)
	}
	w.mu.Unlock()
	select {
	case w.settled <- struct{}{}:
	default:
	}
}

// unreported is how many results await delivery.
func (w *Worker) unreported() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending)
}

// flush waits up to ReportTimeout for the results awaiting delivery and
// returns how many still do.
func (w *Worker) flush(ctx context.Context) int {
	give := time.NewTimer(w.cfg.ReportTimeout)
	defer give.Stop()
	for {
		n := w.unreported()
		if n == 0 {
			return 0
		}
		select {
		case <-w.settled:
		case <-give.C:
			return n
		case <-ctx.Done():
			return n
		}
	}
}

// jitter returns a wait between d/2 and d, so that workers that lost Hive
// together do not come back together.
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}
