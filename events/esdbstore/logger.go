package esdbstore

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/kurrent-io/KurrentDB-Client-Go/kurrentdb"
)

// clientLogger hands the client's log lines to the injected logger, so
// that the client never writes to stdout on its own. The client logs every
// failed call at its error level; the store returns those failures to its
// callers, who decide, so they are logged at Warn here, and the client's
// informational lines (discovery attempts) at Debug. The client gives its
// callback no context.
func clientLogger(log *slog.Logger) kurrentdb.LoggingFunc {
	return func(level kurrentdb.LogLevel, format string, args ...any) {
		lvl := slog.LevelDebug
		if level == kurrentdb.LogWarn || level == kurrentdb.LogError {
			lvl = slog.LevelWarn
		}
		ctx := context.Background()
		if log.Enabled(ctx, lvl) {
			log.Log(ctx, lvl, "eventstoredb client", "line", fmt.Sprintf(format, args...))
		}
	}
}
