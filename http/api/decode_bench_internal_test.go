package api

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// BenchmarkDecodeJSON measures decodeJSON on a task's result with a 16 KiB
// output: "plain" is a body of UTF-8 without \u escapes, which checkText
// passes at once; "escaped" has escapes, so jsontext reads it again. It
// reports the bytes decoded per second.
func BenchmarkDecodeJSON(b *testing.B) {
	item := `{"file":"main.go","line":%d,"note":"naïve café %s"}`
	for _, bc := range []struct{ name, escape string }{{"plain", "ok"}, {"escaped", `\u00e9\ud83d\ude00`}} {
		b.Run(bc.name, func(b *testing.B) {
			items := make([]string, 0, 256)
			for i := 0; len(strings.Join(items, ",")) < 16<<10; i++ {
				items = append(items, fmt.Sprintf(item, i, bc.escape))
			}
			body := []byte(`{"agent_id":"0b4e5f1c-6a55-4b8e-8d0a-3f3c2c1e9a77","output":[` + strings.Join(items, ",") + `],"usage":{"input_tokens":10}}`)
			c, _ := gin.CreateTestContext(httptest.NewRecorder())
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				c.Request = httptest.NewRequest(http.MethodPost, "/v1/tasks/x/complete", bytes.NewReader(body))
				var req completeTaskRequest
				if err := decodeJSON(c, 1<<20, &req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
