package live

import "sync"

// queue is a subscription's bounded buffer of the frames waiting for its
// writer. An idle subscription's queue holds (almost) no memory: it grows
// with a burst, up to max, and its writer keeps only a small one after.
type queue struct {
	mu     sync.Mutex
	frames []*frame
	max    int
	// ready holds a signal when frames were added since the last take.
	ready chan struct{}
}

// keepCap is the largest buffer a writer keeps for the next take.
const keepCap = 64

func newQueue(max int) *queue { return &queue{max: max, ready: make(chan struct{}, 1)} }

// push adds f, or reports false if the queue is full. It never waits for
// the writer.
func (q *queue) push(f *frame) bool {
	q.mu.Lock()
	if len(q.frames) >= q.max {
		q.mu.Unlock()
		return false
	}
	q.frames = append(q.frames, f)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

// take returns the frames waiting, oldest first, and gives the queue spare
// (emptied, or nil) for the next ones.
func (q *queue) take(spare []*frame) []*frame {
	q.mu.Lock()
	defer q.mu.Unlock()
	frames := q.frames
	q.frames = spare
	return frames
}

// recycle returns frames, written, as the spare of the next take: emptied,
// or nil if it grew large in a burst.
func recycle(frames []*frame) []*frame {
	if cap(frames) > keepCap {
		return nil
	}
	clear(frames)
	return frames[:0]
}
