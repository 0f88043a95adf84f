package projections

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// ErrNoState: no saved state for a projection.
var ErrNoState = errors.New("no saved projection state")

// ErrCorruptState: a saved state failed its checksum.
var ErrCorruptState = errors.New("corrupt projection state")

// StateStore keeps the saved state of persistent projections, one value per
// projection name; a Save replaces the previous value atomically.
type StateStore interface {
	// Load returns the state saved under name, or ErrNoState.
	Load(name string) ([]byte, error)
	// Save replaces the state saved under name, durably and atomically.
	Save(name string, state []byte) error
}

// stateMagic starts every state file, with its format version.
var stateMagic = [8]byte{'h', 'i', 'v', 'e', 's', 't', 'a', 1}

// stateHeader is the magic, the CRC-32C of the state and its length.
const stateHeader = len(stateMagic) + 4 + 8

var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	validName  = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
)

// Dir is a StateStore keeping each projection's state in a file of its own
// in a directory: written to a temporary file, synced, renamed over the old
// one and the directory synced, so that a crash leaves either the old state
// or the new one, never a mix. A checksum catches a file damaged later.
type Dir struct {
	path string
}

// OpenDir returns a state store in the directory at path, creating it
// (0700: the states hold what the log holds) if needed.
func OpenDir(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("projection states: %w", err)
	}
	return &Dir{path: path}, nil
}

func (d *Dir) file(name string) (string, error) {
	if !validName.MatchString(name) {
		return "", fmt.Errorf("projection states: invalid projection name %q", name)
	}
	return filepath.Join(d.path, name+".state"), nil
}

// Load implements StateStore.
func (d *Dir) Load(name string) ([]byte, error) {
	path, err := d.file(name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoState, name)
	}
	if err != nil {
		return nil, fmt.Errorf("projection states: %w", err)
	}
	if len(b) < stateHeader || [8]byte(b[:8]) != stateMagic {
		return nil, fmt.Errorf("%w: %s: bad header", ErrCorruptState, path)
	}
	sum, n := binary.BigEndian.Uint32(b[8:12]), binary.BigEndian.Uint64(b[12:20])
	data := b[stateHeader:]
	if uint64(len(data)) != n || crc32.Checksum(data, castagnoli) != sum {
		return nil, fmt.Errorf("%w: %s: checksum mismatch", ErrCorruptState, path)
	}
	return data, nil
}

// Save implements StateStore.
func (d *Dir) Save(name string, state []byte) error {
	path, err := d.file(name)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(d.path, name+".*.tmp")
	if err != nil {
		return fmt.Errorf("projection states: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	var head [stateHeader]byte
	copy(head[:], stateMagic[:])
	binary.BigEndian.PutUint32(head[8:12], crc32.Checksum(state, castagnoli))
	binary.BigEndian.PutUint64(head[12:20], uint64(len(state)))
	_, err = tmp.Write(head[:])
	if err == nil {
		_, err = tmp.Write(state)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err == nil {
		err = syncDir(d.path)
	}
	if err != nil {
		return fmt.Errorf("projection states: save %s: %w", name, err)
	}
	return nil
}

func syncDir(path string) error {
	dir, err := os.Open(path)
	if err != nil {
		return err
	}
	err = dir.Sync()
	if cerr := dir.Close(); err == nil {
		err = cerr
	}
	return err
}
