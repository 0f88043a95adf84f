package live

// ring keeps the newest frames, by seq: the frame of seq s is at s%len.
type ring struct {
	frames []*frame
	// last is the seq of the newest frame, 0 before the first.
	last  uint64
	bytes int
}

func newRing(size int) ring { return ring{frames: make([]*frame, size)} }

// push adds f, whose seq is last+1, dropping the oldest frame if full.
func (r *ring) push(f *frame) {
	i := f.seq % uint64(len(r.frames))
	if old := r.frames[i]; old != nil {
		r.bytes -= len(old.text)
	}
	r.frames[i] = f
	r.bytes += len(f.text)
	r.last = f.seq
}

// held is how many frames the ring holds.
func (r *ring) held() uint64 { return min(r.last, uint64(len(r.frames))) }

// since returns the frames after seq after whose topic wants accepts, in
// order; ok is false when after is newer than the newest frame, or some
// frame after it is no longer held.
func (r *ring) since(after uint64, wants func(topic string) bool) (frames []*frame, ok bool) {
	if after > r.last || after < r.last-r.held() {
		return nil, false
	}
	for s := after + 1; s <= r.last; s++ {
		if f := r.frames[s%uint64(len(r.frames))]; wants(f.topic) {
			frames = append(frames, f)
		}
	}
	return frames, true
}
