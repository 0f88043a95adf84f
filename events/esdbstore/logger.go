package esdbstore

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/kurrent-io/KurrentDB-Client-Go/kurrentdb"
)

// clientLogger hands the client's log lines to the injected logger, at
// Debug, so that the client never writes to stdout on its own. They are
// details: the client logs every failed call (even a subscription the store
// closes) at its error level, and the store returns each failure to its
// caller, or logs it itself (a dropped subscription, at Warn). The client
// gives its callback no context.
func clientLogger(log *slog.Logger) kurrentdb.LoggingFunc {
	return func(level kurrentdb.LogLevel, format string, args ...any) {
		ctx := context.Background()
		if log.Enabled(ctx, slog.LevelDebug) {
			log.Debug("eventstoredb client", "level", level, "line", fmt.Sprintf(format, args...))
		}
	}
}
