package memstore_test

import (
	"testing"

	"hive/events"
	"hive/events/memstore"
	"hive/events/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, maxEventSize int) events.Store {
		return memstore.New(maxEventSize)
	})
}
