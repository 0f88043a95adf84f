package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"hive/http/client"
)

func newSwarmsCommand() *cobra.Command {
	var o remoteOptions
	cmd := &cobra.Command{
		Use:   "swarms",
		Short: "Create, change and dissolve swarms, manage their members, submit tasks and hold votes in a running Hive",
		Long: `Operate on the swarms of a running Hive at --server (env HIVE_SERVER) with
--token (env HIVE_TOKEN, else the admin token in <--data-dir>/admin.token).
A swarm groups agents under a topology (mesh, ring, star, hierarchical) and
assigns each task to a member, recording why. Reads need any token; the
rest an operator or admin token. Output is a table, or with -o json the
server's JSON (a list's items as one array).`,
		Example: `  hive swarms create --name crew --topology mesh --max-size 20 --weight load=2,success=1
  hive swarms join <swarm id> <agent id>
  hive swarms submit <swarm id> --capability code --input '{"repo": "hive"}'
  hive swarms update <swarm id> --topology star --leader <agent id> --reason 'one hub'
  hive swarms dissolve <swarm id> --reason 'project over' --force`,
		PersistentPreRunE: func(*cobra.Command, []string) error { return o.validate() },
	}
	o.register(cmd)
	cmd.AddCommand(newSwarmsListCommand(&o), newSwarmsGetCommand(&o), newSwarmsCreateCommand(&o),
		newSwarmsJoinCommand(&o), newSwarmsLeaveCommand(&o), newSwarmsSubmitCommand(&o),
		newSwarmsProposeCommand(&o), newSwarmsVoteCommand(&o), newSwarmsUpdateCommand(&o), newSwarmsDissolveCommand(&o))
	return cmd
}

func newSwarmsListCommand(o *remoteOptions) *cobra.Command {
	var pages pageFlags
	cmd := &cobra.Command{
		Use:     "list [--limit N] [--all]",
		Short:   "List swarms",
		Example: "  hive swarms list --all -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.listEntries(cmd, pages, func(api *client.Client, p client.PageRequest) (client.Page[client.Entry], error) {
				return api.ListSwarms(cmd.Context(), p)
			}, "ID", "NAME", "STATUS", "CREATED")
		},
	}
	pages.register(cmd)
	return cmd
}

func newSwarmsGetCommand(o *remoteOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "get ID",
		Short:   "Show a swarm: its members, unfinished tasks and open proposals",
		Example: "  hive swarms get <swarm id>",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.swarmCommand(cmd, func(api *client.Client) (client.Swarm, error) { return api.Swarm(cmd.Context(), args[0]) })
		},
	}
}

func newSwarmsCreateCommand(o *remoteOptions) *cobra.Command {
	var s client.NewSwarm
	var weights []string
	var budget client.Budget
	var cf commandFlags
	cmd := &cobra.Command{
		Use:   "create --name N --topology mesh|ring|star|hierarchical [--leader ID] [--min-size N] [--max-size N] [--weight k=v,...] [--budget-tokens N] [--budget-cost-micros N]",
		Short: "Create a swarm",
		Long: `Create a swarm. mesh gives each task to the best-scoring capable member; ring
goes round-robin in join order; star gives the hub (--leader) every task it
can take; hierarchical gives planning steps to the coordinator (--leader).
Scores weigh capability fit, free capacity (load), success rate and speed:
--weight sets them (all unset: Hive's defaults). A budget stops new
assignments once spent, until raised.`,
		Example: `  hive swarms create --name crew --topology mesh
  hive swarms create --name release --topology star --leader <agent id> --max-size 8 \
    --weight capability=1,load=2,success=1,speed=0.5 --budget-tokens 5000000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w, err := parseWeights(weights)
			if err != nil {
				return err
			}
			s.Weights = w
			if budget != (client.Budget{}) {
				s.Budget = &budget
			}
			return o.swarmCommand(cmd, func(api *client.Client) (client.Swarm, error) {
				return api.CreateSwarm(cmd.Context(), s, cf.options()...)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&s.Name, "name", "", "the swarm's unique name (required)")
	f.StringVar(&s.Topology, "topology", "", "mesh, ring, star or hierarchical (required)")
	f.StringVar(&s.Leader, "leader", "", "the hub of a star, the coordinator of a hierarchy: an agent id")
	f.IntVar(&s.MinSize, "min-size", 0, "members needed before the swarm is active")
	f.IntVar(&s.MaxSize, "max-size", 0, "most members (0: no limit)")
	f.StringSliceVar(&weights, "weight", nil, "score weights, name=value: capability, load, success, speed")
	f.Int64Var(&budget.Tokens, "budget-tokens", 0, "tokens the swarm may spend (0: no limit)")
	f.Int64Var(&budget.CostMicros, "budget-cost-micros", 0, "cost the swarm may spend, in millionths (0: no limit)")
	cf.register(cmd)
	for _, name := range []string{"name", "topology"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

// parseWeights reads --weight name=value pairs; none is nil (the defaults).
func parseWeights(pairs []string) (*client.Weights, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	w := &client.Weights{}
	fields := map[string]*float64{"capability": &w.Capability, "load": &w.Load, "success": &w.Success, "speed": &w.Speed}
	for _, p := range pairs {
		name, value, _ := strings.Cut(p, "=")
		field, ok := fields[name]
		if !ok {
			return nil, fmt.Errorf("--weight %q: want capability, load, success or speed=NUMBER", p)
		}
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return nil, fmt.Errorf("--weight %q: %q is not a number", p, value)
		}
		*field = n
	}
	return w, nil
}

func newSwarmsJoinCommand(o *remoteOptions) *cobra.Command {
	var cf commandFlags
	cmd := &cobra.Command{
		Use:     "join SWARM AGENT",
		Short:   "Make an agent a member of a swarm (an agent is in one swarm at a time)",
		Example: "  hive swarms join <swarm id> <agent id>",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.swarmCommand(cmd, func(api *client.Client) (client.Swarm, error) {
				return api.AddMember(cmd.Context(), args[0], args[1], cf.options()...)
			})
		},
	}
	cf.register(cmd)
	return cmd
}

func newSwarmsLeaveCommand(o *remoteOptions) *cobra.Command {
	var reason string
	var cf commandFlags
	cmd := &cobra.Command{
		Use:     "leave SWARM AGENT [--reason R]",
		Short:   "Take an agent out of a swarm; its tasks in flight go to other members",
		Example: "  hive swarms leave <swarm id> <agent id> --reason rebalance",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.swarmCommand(cmd, func(api *client.Client) (client.Swarm, error) {
				return api.RemoveMember(cmd.Context(), args[0], args[1], reason, cf.options()...)
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the record")
	cf.register(cmd)
	return cmd
}

func newSwarmsSubmitCommand(o *remoteOptions) *cobra.Command {
	var t client.NewTask
	var input string
	var cf commandFlags
	var w waitFlags
	cmd := &cobra.Command{
		Use:   "submit SWARM --capability C --input JSON [--priority N] [--max-attempts N] [--timeout D] [--wait [--wait-timeout D]]",
		Short: "Submit a task to a swarm directly, outside any workflow",
		Long:  "Submit a task to a swarm directly, outside any workflow.\n\n" + fmt.Sprintf(waitHelp, "task"),
		Example: `  hive swarms submit <swarm id> --capability code --input '{"repo": "hive"}' --priority 5 --timeout 15m
  hive swarms submit <swarm id> --capability review --input @task.json
  hive swarms submit <swarm id> --capability review --input @task.json --wait -o json | jq .output`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := jsonArg(cmd, "input", input)
			if err != nil {
				return err
			}
			t.Input = raw
			api, err := o.client()
			if w.wait && err == nil {
				api, err = o.awaitingClient()
			}
			if err != nil {
				return err
			}
			sub, err := api.SubmitTask(cmd.Context(), args[0], t, cf.options()...)
			if err != nil {
				return err
			}
			if w.wait {
				return o.awaitTask(cmd, api, sub.TaskID, sub.Position, &w)
			}
			return o.show(cmd, sub.Raw, func() error {
				w := newTable(cmd.OutOrStdout(), "TASK", "STATUS", "AGENT")
				w.row(sub.TaskID, sub.Status, sub.AgentID)
				return w.flush()
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&t.Capability, "capability", "", "the capability the task needs (required)")
	f.StringVar(&input, "input", "null", "the task's input: JSON, @FILE or - (standard input)")
	f.IntVar(&t.Priority, "priority", 0, "higher goes first")
	f.IntVar(&t.MaxAttempts, "max-attempts", 0, "attempts before the task fails (default: the swarm's)")
	f.StringVar(&t.Backoff, "backoff", "", "wait before a retry, e.g. 10s")
	f.StringVar(&t.Timeout, "timeout", "", "how long an attempt may take, e.g. 15m")
	cf.register(cmd)
	w.register(cmd, "task")
	_ = cmd.MarkFlagRequired("capability")
	return cmd
}

func newSwarmsProposeCommand(o *remoteOptions) *cobra.Command {
	var p client.NewProposal
	var cf commandFlags
	cmd := &cobra.Command{
		Use:   "propose SWARM --question Q --option A --option B --rule R [--quorum F] --voting-period D",
		Short: "Put a question to a swarm's members to vote on",
		Long: `Open a proposal: the swarm's members vote (hive swarms vote) until the voting
period ends or the rule decides. Rules: majority, unanimous, weighted (by
each member's success rate). --quorum is the share of members that must
vote, 0 to 1. The new proposal's id is printed first.`,
		Example: `  hive swarms propose <swarm id> --question 'ship on friday?' --option yes --option no --rule majority --voting-period 5m`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := o.client()
			if err != nil {
				return err
			}
			id, s, err := api.Propose(cmd.Context(), args[0], p, cf.options()...)
			if err != nil {
				return err
			}
			return o.show(cmd, s.Raw, func() error {
				fmt.Fprintf(cmd.OutOrStdout(), "proposal %s\n\n", id)
				return writeSwarm(cmd.OutOrStdout(), s)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&p.Question, "question", "", "what to decide (required)")
	f.StringSliceVar(&p.Options, "option", nil, "an option; repeat for more (at least two)")
	f.StringVar(&p.Rule, "rule", "majority", "majority, unanimous or weighted")
	f.Float64Var(&p.Quorum, "quorum", 0, "share of members that must vote, 0 to 1")
	f.StringVar(&p.VotingPeriod, "voting-period", "", "how long members may vote, e.g. 5m (required)")
	f.StringVar(&p.ProposedBy, "by", "", "who proposes, for the record")
	cf.register(cmd)
	for _, name := range []string{"question", "voting-period"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func newSwarmsVoteCommand(o *remoteOptions) *cobra.Command {
	var agentID, option string
	var cf commandFlags
	cmd := &cobra.Command{
		Use:     "vote SWARM PROPOSAL --agent ID --option O",
		Short:   "Cast a member's vote on a proposal",
		Example: "  hive swarms vote <swarm id> <proposal id> --agent <agent id> --option yes",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.swarmCommand(cmd, func(api *client.Client) (client.Swarm, error) {
				return api.Vote(cmd.Context(), args[0], args[1], agentID, option, cf.options()...)
			})
		},
	}
	cmd.Flags().StringVar(&agentID, "agent", "", "the voting member (required)")
	cmd.Flags().StringVar(&option, "option", "", "the option voted for (required)")
	cf.register(cmd)
	for _, name := range []string{"agent", "option"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

// swarmCommand calls Hive with call and shows the swarm it answers.
func (o *remoteOptions) swarmCommand(cmd *cobra.Command, call func(*client.Client) (client.Swarm, error)) error {
	api, err := o.client()
	if err != nil {
		return err
	}
	s, err := call(api)
	if err != nil {
		return err
	}
	return o.show(cmd, s.Raw, func() error { return writeSwarm(cmd.OutOrStdout(), s) })
}

// listEntries shows a list of the directory (swarms, runs, definitions)
// with the columns named, of ID, NAME, SWARM, STATUS, VERSION, CREATED.
func (o *remoteOptions) listEntries(cmd *cobra.Command, pages pageFlags, read func(*client.Client, client.PageRequest) (client.Page[client.Entry], error), columns ...string) error {
	api, err := o.client()
	if err != nil {
		return err
	}
	entries, next, err := collect(cmd.Context(), pages, func(p client.PageRequest) (client.Page[client.Entry], error) { return read(api, p) })
	if err != nil {
		return err
	}
	if o.output == "json" {
		return writeRawList(cmd.OutOrStdout(), entries, func(e client.Entry) []byte { return e.Raw })
	}
	noteMore(cmd, o, next)
	t := newTable(cmd.OutOrStdout(), columns...)
	for _, e := range entries {
		fields := map[string]any{"ID": e.ID, "NAME": e.Name, "SWARM": e.SwarmID, "STATUS": e.Status, "VERSION": e.Version, "CREATED": timeText(e.CreatedAt)}
		cells := make([]any, len(columns))
		for i, c := range columns {
			cells[i] = fields[c]
		}
		t.row(cells...)
	}
	return t.flush()
}

// writeSwarm shows a swarm, then its members, unfinished tasks and open
// proposals, each a table.
func writeSwarm(w io.Writer, s client.Swarm) error {
	t := newTable(w, "ID", "NAME", "TOPOLOGY", "STATUS", "LEADER", "MEMBERS", "QUEUE", "CREATED")
	t.row(s.ID, s.Name, s.Topology, s.Status, s.Leader, len(s.Members), s.QueueDepth, timeText(s.CreatedAt))
	if err := t.flush(); err != nil {
		return err
	}
	if len(s.Members) > 0 {
		fmt.Fprintln(w)
		t = newTable(w, "MEMBER", "STATUS", "LOAD", "MAX", "CAPABILITIES")
		for _, m := range s.Members {
			t.row(m.AgentID, m.Status, m.Load, max(m.MaxConcurrency, 1), joined(m.Capabilities))
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	if len(s.Tasks) > 0 {
		fmt.Fprintln(w)
		if err := writeTasks(w, s.Tasks...); err != nil {
			return err
		}
	}
	if len(s.Proposals) > 0 {
		fmt.Fprintln(w)
		t = newTable(w, "PROPOSAL", "QUESTION", "OPTIONS", "RULE", "DEADLINE")
		for _, p := range s.Proposals {
			t.row(p.ID, p.Question, joined(p.Options), p.Rule, timeText(p.Deadline))
		}
		return t.flush()
	}
	return nil
}
