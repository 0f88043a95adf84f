package swarm

// FreeSlots returns the free capacity the state keeps and the free
// capacity its members have, which must agree.
func FreeSlots(s *State) (kept, counted int) {
	for i := range s.members {
		counted += s.mem(i).slots()
	}
	return s.free, counted
}
