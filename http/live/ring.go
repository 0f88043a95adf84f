package live

// ring keeps the newest frames, by seq: the frame of seq s is at s%len. It
// holds at most len frames and, beyond the newest one, at most maxBytes of
// them, so that large frames (a big run's detail) cannot pin unbounded
// memory.
type ring struct {
	frames []*frame
	// last is the seq of the newest frame, 0 before the first; first is
	// the seq of the oldest frame held (last+1 when none is).
	last, first     uint64
	bytes, maxBytes int
}

func newRing(size, maxBytes int) ring {
	return ring{frames: make([]*frame, size), first: 1, maxBytes: maxBytes}
}

// push adds f, whose seq is last+1, dropping the oldest frames while the
// ring is over its size or its bytes.
func (r *ring) push(f *frame) {
	i := f.seq % uint64(len(r.frames))
	if old := r.frames[i]; old != nil {
		r.bytes -= len(old.text)
		r.first = old.seq + 1
	}
	r.frames[i] = f
	r.bytes += len(f.text)
	r.last = f.seq
	for r.bytes > r.maxBytes && r.first < r.last {
		j := r.first % uint64(len(r.frames))
		r.bytes -= len(r.frames[j].text)
		r.frames[j] = nil
		r.first++
	}
}

// held is how many frames the ring holds.
func (r *ring) held() uint64 { return r.last + 1 - r.first }

// since returns the frames after seq after whose topic wants accepts, in
// order; ok is false when after is newer than the newest frame, or some
// frame after it is no longer held.
func (r *ring) since(after uint64, wants func(topic string) bool) (frames []*frame, ok bool) {
	if after > r.last || after+1 < r.first {
		return nil, false
	}
	for s := after + 1; s <= r.last; s++ {
		if f := r.frames[s%uint64(len(r.frames))]; wants(f.topic) {
			frames = append(frames, f)
		}
	}
	return frames, true
}
