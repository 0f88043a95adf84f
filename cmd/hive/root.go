package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "hive",
		Short: "Hive: an event-sourced control plane for fleets of AI agents",
		Long: `Hive registers AI agents, groups them into swarms, runs workflows of tasks
across them, and records every decision it makes as an event, so that anyone
can see live what is happening, ask later why it happened, and replay it.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCommand(), newAgentCommand())
	root.AddCommand(newTokenCommand())
	root.AddCommand(newAgentsCommand(), newSwarmsCommand(), newWorkflowsCommand(), newDefinitionsCommand(),
		newTasksCommand(), newEventsCommand(), newProjectionsCommand())
	root.AddCommand(newVerifyCommand(), newExportCommand(), newImportCommand())
	root.AddCommand(newAuditCommand(), newReplayCommand())
	explainProblems(root)
	fromEnvironment(root)
	return root
}

// logOptions are the logging flags every long-running command takes.
type logOptions struct {
	level  string
	format string
}

func (o *logOptions) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.level, "log-level", "info", "log level: debug, info, warn or error (env HIVE_LOG_LEVEL)")
	cmd.Flags().StringVar(&o.format, "log-format", "text", "log format: text or json (env HIVE_LOG_FORMAT)")
	envFlags(cmd.Flags(), map[string]string{"log-level": "HIVE_LOG_LEVEL", "log-format": "HIVE_LOG_FORMAT"})
}

func (o *logOptions) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: %w", o.level, err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(o.format) {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	default:
		return nil, fmt.Errorf("--log-format %q: want text or json", o.format)
	}
}
