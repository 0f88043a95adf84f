package pebblestore

import (
	"encoding/binary"

	"github.com/google/uuid"
)

// Key spaces. Every key starts with one of these bytes, so that the three
// indexes never interleave and each can be scanned with tight bounds. See
// the package documentation for the layout.
const (
	prefixLog    byte = 'l' // 'l' position(8 BE)               -> StoredEvent
	prefixStream byte = 's' // 's' stream 0x00 version(8 BE)    -> position(8 BE)
	prefixID     byte = 'i' // 'i' id(16)                       -> position(8 BE)
	prefixSnap   byte = 'n' // 'n' stream                       -> StoredSnapshot
)

// snapshotKey is the key of stream's snapshot.
func snapshotKey(stream string) []byte {
	return append([]byte{prefixSnap}, stream...)
}

const (
	logKeyLen = 1 + 8
	idKeyLen  = 1 + 16
)

// logKey is the global log key of position pos.
func logKey(pos uint64) [logKeyLen]byte {
	var k [logKeyLen]byte
	k[0] = prefixLog
	binary.BigEndian.PutUint64(k[1:], pos)
	return k
}

// logKeyPosition decodes a global log key; ok is false for any other key.
func logKeyPosition(k []byte) (pos uint64, ok bool) {
	if len(k) != logKeyLen || k[0] != prefixLog {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[1:]), true
}

// idKey is the event-id index key of id.
func idKey(id uuid.UUID) [idKeyLen]byte {
	var k [idKeyLen]byte
	k[0] = prefixID
	copy(k[1:], id[:])
	return k
}

// appendStreamPrefix appends the prefix shared by every index key of
// stream. Stream names contain no NUL byte, so the 0x00 terminator keeps a
// stream's keys apart from those of any stream its name is a prefix of.
func appendStreamPrefix(dst []byte, stream string) []byte {
	dst = append(dst, prefixStream)
	dst = append(dst, stream...)
	return append(dst, 0)
}

// appendStreamKey appends the stream index key of stream at version.
func appendStreamKey(dst []byte, stream string, version uint64) []byte {
	return binary.BigEndian.AppendUint64(appendStreamPrefix(dst, stream), version)
}

// streamBounds returns the key range [lower, upper) of stream's index.
func streamBounds(stream string) (lower, upper []byte) {
	lower = appendStreamPrefix(make([]byte, 0, len(stream)+2+8), stream)
	upper = append(lower[:len(lower)-1:len(lower)-1], 1)
	return lower, upper
}

// streamKeyVersion decodes the version at the end of a stream index key.
func streamKeyVersion(k []byte) (uint64, bool) {
	if len(k) < 1+1+8 || k[0] != prefixStream || k[len(k)-9] != 0 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[len(k)-8:]), true
}

// encodePosition is the value of the stream and id index entries.
func encodePosition(pos uint64) [8]byte {
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], pos)
	return v
}

// decodePosition decodes an index value.
func decodePosition(v []byte) (uint64, bool) {
	if len(v) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(v), true
}
