package esdbdouble

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/kurrent-io/KurrentDB-Client-Go/protos/kurrentdb/protocols/v1/gossip"
	"github.com/kurrent-io/KurrentDB-Client-Go/protos/kurrentdb/protocols/v1/serverfeatures"
	"github.com/kurrent-io/KurrentDB-Client-Go/protos/kurrentdb/protocols/v1/shared"
	api "github.com/kurrent-io/KurrentDB-Client-Go/protos/kurrentdb/protocols/v1/streams"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Version is the EventStoreDB version the double says it is.
const Version = "24.10.0"

// Server is the test double of one EventStoreDB node, serving insecure gRPC
// on 127.0.0.1. Its data lives in memory and survives Stop and Listen, as a
// restarted node's would.
type Server struct {
	log           *log
	faults        faults
	subs          subscriptions
	maxAppendSize int
	instance      uuid.UUID

	mu   sync.Mutex
	addr string // host:port once listening; kept across Stop
	srv  *grpc.Server
	done chan struct{} // closed when the serving goroutine returns
}

// New returns a stopped double with an empty database; Listen starts it.
func New() *Server {
	return &Server{log: newLog(time.Now), maxAppendSize: DefaultMaxAppendSize, instance: uuid.New()}
}

// Start returns a double listening on a free port of 127.0.0.1, stopped
// when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := New()
	if err := s.Listen(); err != nil {
		t.Fatalf("start the EventStoreDB double: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Listen serves on a free port of 127.0.0.1 the first time, and on the same
// address after Stop, like a node restarting.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return fmt.Errorf("esdbdouble: already listening on %s", s.addr)
	}
	addr := s.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("esdbdouble: listen on %s: %w", addr, err)
	}
	s.addr = lis.Addr().String()
	srv := grpc.NewServer()
	api.RegisterStreamsServer(srv, &streams{Server: s})
	serverfeatures.RegisterServerFeaturesServer(srv, features{s: s})
	gossip.RegisterGossipServer(srv, gossipService{s: s})
	s.srv, s.done = srv, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		_ = srv.Serve(lis) // returns when Stop stops srv
	}(s.done)
	return nil
}

// Stop stops serving, as a node going down: connections close, calls in
// flight and subscriptions fail with Unavailable, and new connections are
// refused until Listen. The data stays.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, done := s.srv, s.done
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	srv.Stop()
	<-done
}

// Addr returns the host:port the double listens (or last listened) on.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// URL returns an esdb:// connection string for the double: one node, no
// TLS.
func (s *Server) URL() string { return "esdb://" + s.Addr() + "?tls=false" }

// Inject arms fault for the next times calls of op (for every call until
// Clear if times is negative).
func (s *Server) Inject(op Op, fault Fault, times int) { s.faults.inject(op, fault, times) }

// Clear disarms every fault.
func (s *Server) Clear() { s.faults.clear() }

// DropSubscriptions ends every open subscription with a gRPC error of the
// given code, as a server dropping them does, and returns how many it
// ended.
func (s *Server) DropSubscriptions(code codes.Code) int {
	return s.subs.dropAll(status.Errorf(code, "esdbdouble: subscription dropped (injected %s)", code))
}

func (s *Server) now() time.Time { return time.Now() }

// streams is the Streams service.
type streams struct {
	api.UnimplementedStreamsServer
	*Server
}

// features is the ServerFeatures service, which clients call when they
// connect.
type features struct {
	serverfeatures.UnimplementedServerFeaturesServer
	s *Server
}

// GetSupportedMethods implements the ServerFeatures service.
func (f features) GetSupportedMethods(ctx context.Context, _ *shared.Empty) (*serverfeatures.SupportedMethods, error) {
	if err := failure(ctx, f.s.faults.take(Features)); err != nil {
		return nil, err
	}
	const svc = "event_store.client.streams.streams"
	return &serverfeatures.SupportedMethods{
		EventStoreServerVersion: Version,
		Methods: []*serverfeatures.SupportedMethod{
			{ServiceName: svc, MethodName: "read"},
			{ServiceName: svc, MethodName: "append"},
			{ServiceName: "event_store.client.gossip.gossip", MethodName: "read"},
		},
	}, nil
}

// gossipService is the Gossip service, which clients connecting with
// discovery (esdb+discover://, or several hosts) ask for the cluster's
// members: the double is a cluster of one leader.
type gossipService struct {
	gossip.UnimplementedGossipServer
	s *Server
}

// Read implements the Gossip service.
func (g gossipService) Read(context.Context, *shared.Empty) (*gossip.ClusterInfo, error) {
	host, port, err := net.SplitHostPort(g.s.Addr())
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &gossip.ClusterInfo{Members: []*gossip.MemberInfo{{
		InstanceId:   uuidToWire(g.s.instance, false),
		TimeStamp:    time.Now().UnixNano() / 100,
		State:        gossip.MemberInfo_Leader,
		IsAlive:      true,
		HttpEndPoint: &gossip.EndPoint{Address: host, Port: uint32(p)},
	}}}, nil
}
