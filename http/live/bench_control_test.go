package live_test

import (
	"bytes"
	"errors"
	"net"
	"sync"
	"testing"
)

// clientCost is the heap and stacks that BenchmarkLiveClients' clients
// cost on their own: the same clients, each having read a stream's
// response and hello, against a listener that answers them and then only
// holds their sockets, with no goroutine per connection.
func clientCost(b *testing.B, topics []string) float64 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var (
		mu    sync.Mutex
		held  []net.Conn
		wg    sync.WaitGroup
		reply = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"17\r\nevent: hello\ndata: {}\n\n\r\n")
	)
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			if err := answer(conn, reply); err != nil {
				b.Errorf("control server: %v", err)
			}
			mu.Lock()
			held = append(held, conn)
			mu.Unlock()
		}
	})
	before := memInUse()
	f := connectFleet(b, ln.Addr().String(), "-", topics)
	after := memInUse()
	f.close()
	_ = ln.Close()
	wg.Wait()
	for _, c := range held {
		_ = c.Close()
	}
	return heapAndStacks(before, after)
}

// answer reads a request's head from conn and writes reply.
func answer(conn net.Conn, reply []byte) error {
	var head []byte
	buf := make([]byte, 512)
	for !bytes.Contains(head, []byte("\r\n\r\n")) {
		n, err := conn.Read(buf)
		if err != nil {
			return err
		}
		head = append(head, buf[:n]...)
	}
	if _, err := conn.Write(reply); err != nil {
		return errors.Join(err, conn.Close())
	}
	return nil
}
