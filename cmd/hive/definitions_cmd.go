package main

import (
	"encoding/json"
	"io"

	"github.com/spf13/cobra"

	"hive/http/client"
)

func newDefinitionsCommand() *cobra.Command {
	var o remoteOptions
	cmd := &cobra.Command{
		Use:   "definitions",
		Short: "Save, list and read workflow definitions in a running Hive",
		Long: `A workflow definition is a named DAG of steps, saved in a running Hive at
--server (env HIVE_SERVER) and started with hive workflows start
--definition NAME. Each save that changes it is a new version; saving the
same again changes nothing. Saving needs an operator or admin token.
Output is a table, or with -o json the server's JSON (a list's items as
one array).`,
		Example: `  hive definitions save --file release.json
  hive definitions list
  hive definitions get <definition id> -o json`,
		PersistentPreRunE: func(*cobra.Command, []string) error { return o.validate() },
	}
	o.register(cmd)
	cmd.AddCommand(newDefinitionsSaveCommand(&o), newDefinitionsListCommand(&o), newDefinitionsGetCommand(&o))
	return cmd
}

func newDefinitionsSaveCommand(o *remoteOptions) *cobra.Command {
	var file string
	var cf commandFlags
	cmd := &cobra.Command{
		Use:   "save --file DEF.json",
		Short: "Save a definition: a new version if it changed",
		Long: `Save a definition from a JSON file:

  {"name": "release", "description": "build and ship",
   "steps": [{"id": "build", "capability": "code"},
             {"id": "ship", "capability": "code", "depends_on": ["build"], "approval": true}]}`,
		Example: "  hive definitions save --file release.json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			def, err := readDefinition(file)
			if err != nil {
				return err
			}
			return o.definitionCommand(cmd, func(api *client.Client) (client.Definition, error) {
				return api.SaveDefinition(cmd.Context(), def, cf.options()...)
			})
		},
	}
	cmd.Flags().StringVar(&file, "file", "", "the definition, a JSON file (required)")
	cf.register(cmd)
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func newDefinitionsListCommand(o *remoteOptions) *cobra.Command {
	var pages pageFlags
	cmd := &cobra.Command{
		Use:     "list [--limit N] [--all]",
		Short:   "List definitions, each with its newest version",
		Example: "  hive definitions list",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.listEntries(cmd, pages, func(api *client.Client, p client.PageRequest) (client.Page[client.Entry], error) {
				return api.ListDefinitions(cmd.Context(), p)
			}, "ID", "NAME", "VERSION", "CREATED")
		},
	}
	pages.register(cmd)
	return cmd
}

func newDefinitionsGetCommand(o *remoteOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "get ID",
		Short:   "Show a definition and each of its versions (-o json: with their steps)",
		Example: "  hive definitions get <definition id>",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.definitionCommand(cmd, func(api *client.Client) (client.Definition, error) {
				return api.Definition(cmd.Context(), args[0])
			})
		},
	}
}

// definitionCommand calls Hive with call and shows the definition it
// answers.
func (o *remoteOptions) definitionCommand(cmd *cobra.Command, call func(*client.Client) (client.Definition, error)) error {
	api, err := o.client()
	if err != nil {
		return err
	}
	d, err := call(api)
	if err != nil {
		return err
	}
	return o.show(cmd, d.Raw, func() error { return writeDefinition(cmd.OutOrStdout(), d) })
}

func writeDefinition(w io.Writer, d client.Definition) error {
	t := newTable(w, "ID", "NAME", "VERSION", "STEPS", "SAVED", "DESCRIPTION")
	for _, v := range d.Versions {
		var steps []json.RawMessage
		_ = json.Unmarshal(v.Steps, &steps) // Hive answered it: an array
		t.row(d.ID, d.Name, v.Version, len(steps), timeText(v.SavedAt), v.Description)
	}
	return t.flush()
}
