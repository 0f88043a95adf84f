package main

import (
	"io"

	"github.com/spf13/cobra"

	"hive/http/client"
)

func newAgentsCommand() *cobra.Command {
	var o remoteOptions
	cmd := &cobra.Command{
		Use:   "agents",
		Short: "List, read, register, drain and deregister the agents of a running Hive",
		Long: `Operate on the agents of a running Hive at --server (env HIVE_SERVER) with
--token (env HIVE_TOKEN, else the admin token in <--data-dir>/admin.token).
Reads need any token; registering, draining and deregistering an operator
or admin token. Output is a table, or with -o json the server's JSON (a
list's items as one array).

An agent's status is idle, busy (tasks in flight), draining, lost (missed
its heartbeats) or gone (deregistered). A worker process (hive agent run)
registers its own agent; these commands are for operators.`,
		Example: `  hive agents list --status idle --capability code
  hive agents register --name coder-1 --capability code --capability review --label team=core
  hive agents drain <agent id> --reason upgrade`,
		PersistentPreRunE: func(*cobra.Command, []string) error { return o.validate() },
	}
	o.register(cmd)
	cmd.AddCommand(newAgentsListCommand(&o), newAgentsGetCommand(&o), newAgentsRegisterCommand(&o),
		newAgentsDrainCommand(&o), newAgentsDeregisterCommand(&o))
	return cmd
}

func newAgentsListCommand(o *remoteOptions) *cobra.Command {
	var f client.AgentFilter
	var pages pageFlags
	cmd := &cobra.Command{
		Use:   "list [--status S] [--capability C] [--swarm ID] [--label k=v] [--limit N] [--all]",
		Short: "List agents, a page at a time (--all: every page)",
		Example: `  hive agents list
  hive agents list --status busy --swarm <swarm id> --all -o json
  hive agents list --label team=core --limit 20`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, err := o.client()
			if err != nil {
				return err
			}
			agents, next, err := collect(cmd.Context(), pages, func(p client.PageRequest) (client.Page[client.Agent], error) {
				f.PageRequest = p
				return api.ListAgents(cmd.Context(), f)
			})
			if err != nil {
				return err
			}
			if o.output == "json" {
				return writeRawList(cmd.OutOrStdout(), agents, func(a client.Agent) []byte { return a.Raw })
			}
			noteMore(cmd, o, next)
			return writeAgents(cmd.OutOrStdout(), agents...)
		},
	}
	cmd.Flags().StringVar(&f.Status, "status", "", "only agents in this status: idle, busy, draining, lost or gone")
	cmd.Flags().StringVar(&f.Capability, "capability", "", "only agents with this capability")
	cmd.Flags().StringVar(&f.SwarmID, "swarm", "", "only members of this swarm")
	cmd.Flags().StringVar(&f.Label, "label", "", "only agents with this label, key=value")
	pages.register(cmd)
	return cmd
}

func newAgentsGetCommand(o *remoteOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "get ID",
		Short:   "Show an agent",
		Example: "  hive agents get <agent id> -o json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.agentCommand(cmd, func(api *client.Client) (client.Agent, error) { return api.Agent(cmd.Context(), args[0]) })
		},
	}
}

func newAgentsRegisterCommand(o *remoteOptions) *cobra.Command {
	var r client.Registration
	var cf commandFlags
	cmd := &cobra.Command{
		Use:   "register --name N --capability C... [--max-concurrency N] [--label k=v...]",
		Short: "Register an agent; its id is derived from its name",
		Long: `Register an agent under a unique name. A name registered already is refused
(409); a deregistered name may be registered again. The agent's id is the
same for the same name, so a worker started later under the name resumes it.`,
		Example: `  hive agents register --name coder-1 --capability code --capability review --max-concurrency 2 --label team=core`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.agentCommand(cmd, func(api *client.Client) (client.Agent, error) {
				return api.RegisterAgent(cmd.Context(), r, cf.options()...)
			})
		},
	}
	cmd.Flags().StringVar(&r.Name, "name", "", "the agent's unique name (required)")
	cmd.Flags().StringSliceVar(&r.Capabilities, "capability", nil, "a capability; repeat, or separate with commas, for more (at least one)")
	cmd.Flags().IntVar(&r.MaxConcurrency, "max-concurrency", 0, "how many tasks the agent runs at once (default 1)")
	cmd.Flags().StringToStringVar(&r.Labels, "label", nil, "a label, key=value; repeat for more")
	cf.register(cmd)
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func newAgentsDrainCommand(o *remoteOptions) *cobra.Command {
	var reason string
	var cf commandFlags
	cmd := &cobra.Command{
		Use:     "drain ID [--reason R]",
		Short:   "Give an agent no more tasks; those in flight it finishes",
		Example: "  hive agents drain <agent id> --reason upgrade",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.agentCommand(cmd, func(api *client.Client) (client.Agent, error) {
				return api.DrainAgent(cmd.Context(), args[0], reason, cf.options()...)
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the record")
	cf.register(cmd)
	return cmd
}

func newAgentsDeregisterCommand(o *remoteOptions) *cobra.Command {
	var reason string
	var cf commandFlags
	cmd := &cobra.Command{
		Use:     "deregister ID [--reason R]",
		Short:   "Remove an agent; its tasks in flight go to other members of its swarm",
		Example: "  hive agents deregister <agent id> --reason retired",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.agentCommand(cmd, func(api *client.Client) (client.Agent, error) {
				return api.DeregisterAgent(cmd.Context(), args[0], reason, cf.options()...)
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the record")
	cf.register(cmd)
	return cmd
}

// agentCommand calls Hive with call and shows the agent it answers.
func (o *remoteOptions) agentCommand(cmd *cobra.Command, call func(*client.Client) (client.Agent, error)) error {
	api, err := o.client()
	if err != nil {
		return err
	}
	a, err := call(api)
	if err != nil {
		return err
	}
	return o.show(cmd, a.Raw, func() error { return writeAgents(cmd.OutOrStdout(), a) })
}

func writeAgents(w io.Writer, agents ...client.Agent) error {
	t := newTable(w, "ID", "NAME", "STATUS", "CAPABILITIES", "RUNNING", "MAX", "SWARM", "LABELS")
	for _, a := range agents {
		t.row(a.ID, a.Name, a.Status, joined(a.Capabilities), a.Running, max(a.MaxConcurrency, 1), a.SwarmID, labelsText(a.Labels))
	}
	return t.flush()
}
