package main

import (
	"github.com/spf13/cobra"

	"hive/http/client"
)

func newSwarmsUpdateCommand(o *remoteOptions) *cobra.Command {
	var topology, leader, reason string
	var minSize, maxSize int
	var weights []string
	var cf commandFlags
	cmd := &cobra.Command{
		Use:   "update ID [--topology T] [--leader ID] [--weight k=v,...] [--min-size N] [--max-size N] [--reason R]",
		Short: "Change a swarm's settings: topology, leader, weights, size bounds",
		Long: `Change the settings given; the others keep their values. They are checked
as at creation, and against the swarm: the leader must be a member, and
--max-size must admit its members and be at least --min-size (an invalid one
is refused naming it). The change is recorded with --reason; the same
settings again change nothing.`,
		Example: `  hive swarms update <swarm id> --topology star --leader <agent id> --reason 'one hub'
  hive swarms update <swarm id> --weight load=2,success=1 --max-size 12`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			s := client.SwarmSettings{Reason: reason}
			if f.Changed("topology") {
				s.Topology = &topology
			}
			if f.Changed("leader") {
				s.Leader = &leader
			}
			if f.Changed("min-size") {
				s.MinSize = &minSize
			}
			if f.Changed("max-size") {
				s.MaxSize = &maxSize
			}
			w, err := parseWeights(weights)
			if err != nil {
				return err
			}
			s.Weights = w
			return o.swarmCommand(cmd, func(api *client.Client) (client.Swarm, error) {
				return api.UpdateSwarm(cmd.Context(), args[0], s, cf.options()...)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&topology, "topology", "", "mesh, ring, star or hierarchical")
	f.StringVar(&leader, "leader", "", "the member to lead a star (hub) or a hierarchy (coordinator)")
	f.IntVar(&minSize, "min-size", 0, "members needed before the swarm is active")
	f.IntVar(&maxSize, "max-size", 0, "most members (0: no limit)")
	f.StringSliceVar(&weights, "weight", nil, "score weights, name=value: capability, load, success, speed (unset ones become 0)")
	f.StringVar(&reason, "reason", "", "why, for the record")
	cf.register(cmd)
	return cmd
}

func newSwarmsDissolveCommand(o *remoteOptions) *cobra.Command {
	var reason string
	var force bool
	var cf commandFlags
	cmd := &cobra.Command{
		Use:   "dissolve ID [--reason R] [--force]",
		Short: "Dissolve a swarm: its members leave and it takes no more work",
		Long: `Dissolve a swarm. Its members leave, its open proposals close, and it takes
no members, tasks, proposals, votes, budgets or settings any more; its name
stays taken. While it has unfinished workflow runs or tasks it is refused,
unless --force, which cancels them (a run's step fails) with the
dissolution as their reason. Dissolving a dissolved swarm changes nothing.`,
		Example: `  hive swarms dissolve <swarm id> --reason 'merged into crew'
  hive swarms dissolve <swarm id> --reason 'project over' --force`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.swarmCommand(cmd, func(api *client.Client) (client.Swarm, error) {
				return api.DissolveSwarm(cmd.Context(), args[0], reason, force, cf.options()...)
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the record")
	cmd.Flags().BoolVar(&force, "force", false, "cancel the swarm's unfinished runs and tasks")
	cf.register(cmd)
	return cmd
}
