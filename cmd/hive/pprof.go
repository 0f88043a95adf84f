package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// pprofHelp documents --pprof in hive serve --help.
const pprofHelp = `With --pprof ADDR, the Go runtime's profiles (CPU, heap, allocations,
goroutines, blocking, mutexes, execution trace) are served under
/debug/pprof/ on a listener of their own at ADDR, never on the API's port,
and without a token: ADDR must be a loopback address (127.0.0.1:6060,
[::1]:6060, localhost:6060) unless --pprof-allow-remote says that another
one (":6060", all interfaces) is meant. /debug/pprof/cmdline is not
served, as the command line may hold the store's URL with its password.
For example: go tool pprof http://127.0.0.1:6060/debug/pprof/profile?seconds=20`

// checkPprofAddr refuses an address for the profiles that is not
// host:port, or whose host is not loopback unless allowRemote: profiles
// show what the server holds in memory, to anyone who can connect.
func checkPprofAddr(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--pprof %q: want host:port, e.g. 127.0.0.1:6060: %w", addr, err)
	}
	if allowRemote || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--pprof %q is not a loopback address: anyone who can reach it could read the server's memory "+
		"through its profiles; listen on 127.0.0.1 or [::1], or add --pprof-allow-remote if that is meant", addr)
}

// pprofMux serves the runtime's profiles under /debug/pprof/, on a mux of
// its own: never the API's router, nor http.DefaultServeMux. pprof.Cmdline
// is left out; Index answers 404 for it, as for any name that is not a
// profile.
func pprofMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // and every named profile under it
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// servePprof serves the profiles on a listener of its own at addr until
// stop is called, which closes it at once (a profile being taken is cut
// short rather than holding up the shutdown).
func servePprof(addr string, logger *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof: listen: %w", err)
	}
	// No WriteTimeout: a CPU profile or a trace answers after the seconds
	// it was asked for.
	srv := &http.Server{Handler: pprofMux(), ReadHeaderTimeout: 5 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			logger.Error("pprof server stopped", "err", err)
		}
	}()
	logger.Info("pprof serving", "addr", ln.Addr().String())
	return func() {
		if err := srv.Close(); err != nil {
			logger.Warn("close the pprof server", "err", err)
		}
		<-done
	}, nil
}
