package archive

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"

	"hive/events"
	"hive/events/eventpb"
)

// maxRecord bounds a binary record, far above any event a store accepts.
const maxRecord = 64 << 20

// trailerMagic follows the zero length that marks the trailer record (no
// event encodes as zero bytes): the events' count and last position as
// uvarints, then the digest.
const trailerMagic = "HIVEEND1"

type binaryWriter struct {
	w     *bufio.Writer
	enc   eventpb.Encoder
	buf   []byte
	tally *tally
}

func (b *binaryWriter) Write(e *events.Envelope) error {
	var err error
	if b.buf, err = b.enc.Append(b.buf[:0], e); err != nil {
		return err
	}
	b.tally.add(e.Position, &e.Hash)
	return b.writeRecord(b.buf)
}

// WriteStored implements StoredWriter.
func (b *binaryWriter) WriteStored(raw []byte) error {
	pos, hash, err := storedPositionAndHash(raw)
	if err != nil {
		return err
	}
	b.tally.add(pos, &hash)
	return b.writeRecord(raw)
}

// storedPositionAndHash returns the position and hash of the StoredEvent
// encoding raw, skipping its other fields undecoded.
func storedPositionAndHash(raw []byte) (pos uint64, hash events.Hash, err error) {
	hashed := false
	for b := raw; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0, hash, fmt.Errorf("%w: stored event: %w", ErrFormat, protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == 4 && typ == protowire.VarintType:
			pos, n = protowire.ConsumeVarint(b)
		case num == 12 && typ == protowire.BytesType:
			var v []byte
			v, n = protowire.ConsumeBytes(b)
			hashed = n >= 0 && copy(hash[:], v) == len(hash) && len(v) == len(hash)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return 0, hash, fmt.Errorf("%w: stored event: %w", ErrFormat, protowire.ParseError(n))
		}
		b = b[n:]
	}
	if !hashed {
		return 0, hash, fmt.Errorf("%w: stored event without a SHA-256 hash", ErrFormat)
	}
	return pos, hash, nil
}

// writeRecord writes raw with its length.
func (b *binaryWriter) writeRecord(raw []byte) error {
	var n [binary.MaxVarintLen64]byte
	if _, err := b.w.Write(n[:binary.PutUvarint(n[:], uint64(len(raw)))]); err != nil {
		return fmt.Errorf("archive: write: %w", err)
	}
	if _, err := b.w.Write(raw); err != nil {
		return fmt.Errorf("archive: write: %w", err)
	}
	return nil
}

// Close writes the trailer record and flushes.
func (b *binaryWriter) Close() error {
	t := b.tally.trailer()
	rec := binary.AppendUvarint(nil, 0)
	rec = append(rec, trailerMagic...)
	rec = binary.AppendUvarint(rec, t.Events)
	rec = binary.AppendUvarint(rec, t.LastPosition)
	if _, err := b.w.Write(append(rec, t.Digest[:]...)); err != nil {
		return fmt.Errorf("archive: write: %w", err)
	}
	if err := b.w.Flush(); err != nil {
		return fmt.Errorf("archive: write: %w", err)
	}
	return nil
}

type binaryReader struct {
	r     *bufio.Reader
	dec   eventpb.Decoder
	buf   []byte
	n     int
	tally *tally
}

func (b *binaryReader) Next(e *events.Envelope) error {
	size, err := binary.ReadUvarint(b.r)
	b.n++
	if errors.Is(err, io.EOF) {
		return b.fail(ErrTruncated)
	}
	if err != nil {
		return b.fail(fmt.Errorf("length: %w", err))
	}
	if size == 0 {
		return b.end()
	}
	if size > maxRecord {
		return b.fail(fmt.Errorf("%w: length %d", ErrFormat, size))
	}
	if cap(b.buf) < int(size) {
		b.buf = make([]byte, size)
	}
	b.buf = b.buf[:size]
	if _, err := io.ReadFull(b.r, b.buf); err != nil {
		return b.fail(fmt.Errorf("truncated: %w", err))
	}
	if err := b.dec.Decode(b.buf, e); err != nil {
		return b.fail(err)
	}
	b.tally.add(e.Position, &e.Hash)
	return nil
}

// end reads the trailer record, after its zero length, checks it against
// the events read and the end of the file, and returns io.EOF if it passes.
func (b *binaryReader) end() error {
	var t Trailer
	magic := make([]byte, len(trailerMagic))
	_, err := io.ReadFull(b.r, magic)
	if err == nil && string(magic) != trailerMagic {
		err = errors.New("not a trailer")
	}
	if err == nil {
		t.Events, err = binary.ReadUvarint(b.r)
	}
	if err == nil {
		t.LastPosition, err = binary.ReadUvarint(b.r)
	}
	if err == nil {
		_, err = io.ReadFull(b.r, t.Digest[:])
	}
	if err != nil {
		return b.fail(fmt.Errorf("%w: %w", ErrTrailer, err))
	}
	if err := b.tally.check(t); err != nil {
		return b.fail(err)
	}
	if _, err := b.r.ReadByte(); !errors.Is(err, io.EOF) {
		return b.fail(errors.Join(err, fmt.Errorf("%w: data follows it", ErrTrailer)))
	}
	return io.EOF
}

func (b *binaryReader) fail(err error) error {
	return &RecordError{Record: b.n, Format: Binary, Err: err}
}
