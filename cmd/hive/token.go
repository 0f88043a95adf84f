package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// tokenView is a token as the API shows it.
type tokenView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	AgentID   string    `json:"agent_id,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	Revoked   bool      `json:"revoked"`
	// Reason is why it was revoked.
	Reason string `json:"reason,omitempty"`
	// Token is the bearer token, only in the answer to its creation.
	Token string `json:"token,omitempty"`
}

func newTokenCommand() *cobra.Command {
	var o remoteOptions
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke API tokens of a running Hive (admin)",
		Long: `Manage the API tokens of a running Hive. Every request to /v1 carries a
token; its role says what it may do: admin (everything), operator (swarms,
workflows, definitions, approvals, votes, agents' registration, tasks'
submission; not tokens), agent (only as its own agent: heartbeats, drain,
its tasks and their results) and viewer (every read). These commands need
an admin token: --token, HIVE_TOKEN, or the admin.token file that the first
start of Hive writes into its data dir.`,
		PersistentPreRunE: func(*cobra.Command, []string) error { return o.validate() },
	}
	o.register(cmd)
	cmd.AddCommand(newTokenCreateCommand(&o), newTokenListCommand(&o), newTokenRevokeCommand(&o))
	return cmd
}

func newTokenCreateCommand(o *remoteOptions) *cobra.Command {
	var role, agentID, name string
	cmd := &cobra.Command{
		Use:     "create --role ROLE [--agent ID] [--name NAME]",
		Short:   "Create a token; its secret is shown once",
		Example: "  hive token create --role operator --name ci\n  hive token create --role agent --agent <agent id> --name coder-1",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var t tokenView
			body := map[string]string{"role": role, "agent_id": agentID, "name": name}
			if err := o.call(cmd.Context(), http.MethodPost, "/v1/tokens", body, &t); err != nil {
				return err
			}
			if o.output == "json" {
				return writeJSON(cmd.OutOrStdout(), t)
			}
			if err := writeTokens(cmd.OutOrStdout(), []tokenView{t}); err != nil {
				return err
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "\n%s\n\nThis is the only time the token is shown.\n", t.Token)
			return err
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "admin, operator, agent or viewer")
	cmd.Flags().StringVar(&agentID, "agent", "", "the agent an agent token acts as")
	cmd.Flags().StringVar(&name, "name", "", "a name for people")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

func newTokenListCommand(o *remoteOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List every token, revoked ones too (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var list struct {
				Tokens []json.RawMessage `json:"tokens"`
			}
			if err := o.call(cmd.Context(), http.MethodGet, "/v1/tokens", nil, &list); err != nil {
				return err
			}
			if o.output == "json" {
				return writeRawList(cmd.OutOrStdout(), list.Tokens, func(t json.RawMessage) []byte { return t })
			}
			tokens := make([]tokenView, len(list.Tokens))
			for i, raw := range list.Tokens {
				if err := json.Unmarshal(raw, &tokens[i]); err != nil {
					return fmt.Errorf("token list: %w", err)
				}
			}
			return writeTokens(cmd.OutOrStdout(), tokens)
		},
	}
}

func newTokenRevokeCommand(o *remoteOptions) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token: refused from the moment this returns",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var t tokenView
			path := "/v1/tokens/" + url.PathEscape(args[0]) + "?reason=" + url.QueryEscape(reason)
			if err := o.call(cmd.Context(), http.MethodDelete, path, nil, &t); err != nil {
				return err
			}
			if o.output == "json" {
				return writeJSON(cmd.OutOrStdout(), t)
			}
			return writeTokens(cmd.OutOrStdout(), []tokenView{t})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the record")
	return cmd
}

func writeTokens(w io.Writer, tokens []tokenView) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tAGENT\tCREATED\tREVOKED")
	for _, t := range tokens {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\n", t.ID, orDash(t.Name), t.Role, orDash(t.AgentID), t.CreatedAt.Format(time.RFC3339), revokedText(t))
	}
	return tw.Flush()
}

// revokedText is the REVOKED column: false, true, or true with the reason.
func revokedText(t tokenView) string {
	if t.Revoked && t.Reason != "" {
		return "true (" + t.Reason + ")"
	}
	return fmt.Sprint(t.Revoked)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
