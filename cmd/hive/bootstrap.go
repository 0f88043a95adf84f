package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"hive/actors"
	"hive/actors/token"
	"hive/events"
)

// adminTokenFile is the file in the data dir where the first start writes
// the admin token.
const adminTokenFile = "admin.token"

// bootstrapPrincipal is who issues the first admin token.
const bootstrapPrincipal = "hive:bootstrap"

// bootstrapAdmin gives a new Hive (an empty store: head 0) its first admin
// token, written to <dataDir>/admin.token (mode 0600). The file is written
// before the token is created, so that a crash in between leaves a store
// still empty, and the next start writes a new one; the secret is never
// logged.
func bootstrapAdmin(ctx context.Context, store events.Store, system *actors.System, dataDir string, logger *slog.Logger) error {
	head, err := store.Head(ctx)
	if err != nil {
		return fmt.Errorf("read event store head: %w", err)
	}
	if head != 0 {
		return nil
	}
	m, err := token.Mint()
	if err != nil {
		return fmt.Errorf("mint admin token: %w", err)
	}
	path := filepath.Join(dataDir, adminTokenFile)
	if err := writeSecretFile(path, []byte(m.Bearer+"\n")); err != nil {
		return err
	}
	cmdID, err := events.NewEventID()
	if err != nil {
		return err
	}
	create := token.Create{TokenID: m.ID, Name: "admin", Role: token.RoleAdmin, SecretHash: m.Hash, By: bootstrapPrincipal, At: time.Now().UTC()}
	if _, err := system.Ask(ctx, actors.Ref{Kind: token.Kind, ID: m.ID}, actors.Command{ID: cmdID.String(), Principal: bootstrapPrincipal, Body: create}); err != nil {
		return fmt.Errorf("create admin token: %w", err)
	}
	logger.Info("admin token written", "path", path, "token_id", m.ID)
	return nil
}

// writeSecretFile replaces path with data, readable by its owner only, so
// that a reader sees the old file or the whole new one.
func writeSecretFile(path string, data []byte) error {
	tmp := path + ".tmp"
	_ = os.Remove(tmp) // WriteFile keeps the mode of a file left behind
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
