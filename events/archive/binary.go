package archive

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"hive/events"
	"hive/events/eventpb"
)

// maxRecord bounds a binary record, far above any event a store accepts.
const maxRecord = 64 << 20

type binaryWriter struct {
	w   *bufio.Writer
	enc eventpb.Encoder
	buf []byte
}

func (b *binaryWriter) Write(e *events.Envelope) error {
	var err error
	if b.buf, err = b.enc.Append(b.buf[:0], e); err != nil {
		return err
	}
	return b.WriteStored(b.buf)
}

// WriteStored implements StoredWriter.
func (b *binaryWriter) WriteStored(raw []byte) error {
	var n [binary.MaxVarintLen64]byte
	if _, err := b.w.Write(n[:binary.PutUvarint(n[:], uint64(len(raw)))]); err != nil {
		return fmt.Errorf("archive: write: %w", err)
	}
	if _, err := b.w.Write(raw); err != nil {
		return fmt.Errorf("archive: write: %w", err)
	}
	return nil
}

func (b *binaryWriter) Flush() error {
	if err := b.w.Flush(); err != nil {
		return fmt.Errorf("archive: write: %w", err)
	}
	return nil
}

type binaryReader struct {
	r   *bufio.Reader
	dec eventpb.Decoder
	buf []byte
	n   int
}

func (b *binaryReader) Next(e *events.Envelope) error {
	size, err := binary.ReadUvarint(b.r)
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	b.n++
	if err != nil {
		return b.fail(fmt.Errorf("length: %w", err))
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
	return nil
}

func (b *binaryReader) fail(err error) error {
	return &RecordError{Record: b.n, Format: Binary, Err: err}
}
