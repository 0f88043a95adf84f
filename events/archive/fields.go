package archive

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrBadField: an NDJSON line names a field that is not one of the
// record's, or names one twice. A JSON decoder matches field names without
// regard to case and keeps the last value, so such a line could show a
// person one value and the reader another.
var ErrBadField = errors.New("not a field of an archive line, or shown twice")

// recordFields are the names of an NDJSON line's fields, as record's tags
// spell them.
var recordFields = map[string]bool{
	"position": true, "id": true, "stream": true, "version": true, "type": true,
	"recorded_at": true, "schema_version": true, "correlation_id": true,
	"causation_id": true, "principal": true, "payload": true,
	"payload_base64": true, "hash": true, "trailer": true,
}

// checkFields reports the first field of the JSON object line that is not
// one of recordFields, spelled exactly, or that the line names twice.
func checkFields(line []byte) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("a line is a JSON object: %w", errors.Join(err, ErrBadField))
	}
	seen := make(map[string]bool, len(recordFields))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return truncated(err)
		}
		key, _ := tok.(string)
		if !recordFields[key] || seen[key] {
			return fmt.Errorf("field %q: %w", key, ErrBadField)
		}
		seen[key] = true
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return truncated(err)
		}
	}
	return nil
}

// truncated turns the io.EOF of a line that ends too soon into
// io.ErrUnexpectedEOF, which a reader does not take for the archive's end.
func truncated(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
