package main

import (
	"google.golang.org/protobuf/proto"

	"hive/actors/reactions"
	"hive/events"
)

// rules derives the reactions between Hive's entities.
func rules(env *events.Envelope, msg proto.Message) []reactions.Reaction {
	return nil
}
