package pgstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"hive/events"
	"hive/events/pgstore"
)

// TestConfigValidate: Open refuses a Config out of range, naming every
// field at fault, before it connects.
func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		cfg    pgstore.Config
		fields []string
	}{
		{"no URL", pgstore.Config{}, []string{"URL"}},
		{"negatives", pgstore.Config{URL: "postgres://h/db", MaxEventSize: -1, MaxConns: -1, WriteTimeout: -time.Second, MaxBatchEvents: -1},
			[]string{"MaxEventSize", "MaxConns", "WriteTimeout", "MaxBatchEvents"}},
		{"batch too large", pgstore.Config{URL: "postgres://h/db", MaxBatchBytes: 1 << 30}, []string{"MaxBatchBytes"}},
	}
	for _, tc := range tests {
		_, err := pgstore.Open(context.Background(), tc.cfg)
		if !errors.Is(err, events.ErrInvalidArgument) {
			t.Errorf("%s: Open = %v, want ErrInvalidArgument", tc.name, err)
			continue
		}
		for _, f := range tc.fields {
			if !strings.Contains(err.Error(), f) {
				t.Errorf("%s: %v does not name %s", tc.name, err, f)
			}
		}
	}
}
