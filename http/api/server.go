// Package api is Hive's HTTP API: the /v1 command and query routes over the
// entity runtime and the read models, and the operational endpoints
// (/healthz, /readyz, /metrics). Every error is an RFC 9457 problem
// (application/problem+json); errors.go maps errors to statuses.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"hive/actors"
	"hive/events"
	"hive/http/dashboard"
	"hive/projections"
)

// Commands sends commands to entities.
type Commands interface {
	Ask(ctx context.Context, ref actors.Ref, cmd actors.Command) (actors.Result, error)
}

// ReadSide is the state of the read models.
type ReadSide interface {
	// Ready reports why the read models are not ready to serve, or nil.
	Ready() error
	// WaitFor blocks until the read models reflect the event at pos.
	WaitFor(ctx context.Context, pos uint64) error
	// Lag reports how far each read model is behind the log.
	Lag() []projections.Lag
}

// readiness is the answer of GET /readyz: ready, and how far each read
// model is behind the log.
type readiness struct {
	Status string            `json:"status"`
	Lag    []projections.Lag `json:"lag"`
}

// Reactions is the router carrying decisions between entities.
type Reactions interface {
	// WaitFor blocks until the reactions to the event at pos were handled.
	WaitFor(ctx context.Context, pos uint64) error
}

// EventLog is the store's log, as the audit routes read it.
type EventLog interface {
	ReadAll(ctx context.Context, after uint64, limit int) ([]events.Envelope, error)
	ReadStream(ctx context.Context, stream string, from uint64, dir events.Direction, limit int) ([]events.Envelope, error)
}

// Directory lists the swarms and workflow runs.
type Directory interface {
	Page(kind string, from, limit int, match func(*projections.Entry) bool) ([]projections.Entry, int)
	// WatchRun returns a channel closed when the run's status may have
	// changed, and a function that forgets the watch.
	WatchRun(id string) (wake <-chan struct{}, stop func())
}

// AgentsView is the agents read model.
type AgentsView interface {
	Get(id string) (projections.Agent, bool)
	// Liveness returns an agent's recorded deadline and whether it is
	// lost, and whether there is such an agent.
	Liveness(id string) (deadline time.Time, lost, ok bool)
	Page(from, limit int, match func(*projections.Agent) bool) ([]projections.Agent, int)
	// Counts returns how many agents there are, in all and by status, and
	// the position the read model reflects.
	Counts() (total int, byStatus map[string]int, position uint64)
}

// TasksView is the task index: where each task's events are in the log.
type TasksView interface {
	// Positions returns the log positions of the task's events, and
	// whether there is such a task.
	Positions(id string) ([]uint64, bool)
	// Watch returns a channel closed at the task's next event, and a
	// function that forgets the watch.
	Watch(id string) (wake <-chan struct{}, stop func())
}

// Config configures the API.
type Config struct {
	// MaxBodyBytes limits request bodies; larger ones get 413.
	MaxBodyBytes int64
	// ConsistencyWait bounds how long a command's response waits for the
	// read models to reflect it, so that a client reads its own writes.
	ConsistencyWait time.Duration
	// HeartbeatTimeout is how long an agent may stay silent before it is
	// lost (see agent.Heartbeat).
	HeartbeatTimeout time.Duration
	// IdempotencyWindow is how long the response to a command sent with an
	// Idempotency-Key is replayed for the same request (default 24h).
	IdempotencyWindow time.Duration
	// Auth configures authentication: rate limits, and whether /metrics
	// needs a token.
	Auth AuthConfig
}

func (c *Config) setDefaults() {
	c.Auth.setDefaults()
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.ConsistencyWait == 0 {
		c.ConsistencyWait = 2 * time.Second
	}
	if c.HeartbeatTimeout == 0 {
		c.HeartbeatTimeout = 30 * time.Second
	}
	if c.IdempotencyWindow == 0 {
		c.IdempotencyWindow = 24 * time.Hour
	}
}

// Validate reports every invalid setting.
func (c Config) Validate() error {
	errs := []error{c.Auth.Validate()}
	if c.MaxBodyBytes < 0 {
		errs = append(errs, errors.New("api: MaxBodyBytes must not be negative"))
	}
	if c.ConsistencyWait < 0 {
		errs = append(errs, errors.New("api: ConsistencyWait must not be negative"))
	}
	if c.IdempotencyWindow < 0 {
		errs = append(errs, errors.New("api: IdempotencyWindow must not be negative"))
	}
	if c.HeartbeatTimeout < 0 {
		errs = append(errs, errors.New("api: HeartbeatTimeout must not be negative"))
	}
	return errors.Join(errs...)
}

// Server serves the API.
type Server struct {
	cfg       Config
	commands  Commands
	read      ReadSide
	reactions Reactions
	agents    AgentsView
	tasks     TasksView
	directory Directory
	log       EventLog
	records   Records
	keys      keyLocks
	work      AssignmentsView
	gatherer  prometheus.Gatherer
	logger    *slog.Logger
	tokens    TokensView
	views     Views
	live      LiveHub
	stopping  <-chan struct{}
	limits    *limiters
	clients   *clientLimits
	// openapi is the OpenAPI document, built once.
	openapi []byte
	// ui are the dashboard's files.
	ui *dashboard.Files
}

// Deps are what the API serves.
type Deps struct {
	Commands  Commands
	ReadSide  ReadSide
	Reactions Reactions
	Agents    AgentsView
	// Tasks is the task index; without it GET /v1/tasks/{id} answers 503.
	Tasks     TasksView
	Directory Directory
	Log       EventLog
	// Records keeps the responses to commands sent with an Idempotency-Key.
	Records Records
	// Assignments are the agents' tasks in flight, for workers.
	Assignments AssignmentsView
	Gatherer    prometheus.Gatherer
	Logger      *slog.Logger
	// Tokens is the auth index; it is required.
	Tokens TokensView
	// Views are the read models of GET /v1/views/...
	Views Views
	// Live streams read-model changes (GET /v1/live); without it the
	// route answers 503.
	Live LiveHub
	// Stopping is closed when the server begins to shut down: long polls
	// then answer at once with what there is, and streams end, so that
	// the shutdown does not wait for them. Nil never closes.
	Stopping <-chan struct{}
}

// New returns the API's http.Handler.
func New(cfg Config, d Deps) (http.Handler, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, commands: d.Commands, read: d.ReadSide, reactions: d.Reactions, agents: d.Agents, tasks: d.Tasks, directory: d.Directory, log: d.Log, records: d.Records, work: d.Assignments, gatherer: d.Gatherer, logger: d.Logger}
	if d.Tokens == nil {
		return nil, errors.New("api: Deps.Tokens is required")
	}
	s.tokens, s.limits, s.views, s.live, s.stopping = d.Tokens, newLimiters(cfg.Auth), d.Views, d.Live, d.Stopping
	s.clients = newClientLimits(cfg.Auth)
	doc, err := openAPIDocument(cfg.Auth.Metrics)
	if err != nil {
		return nil, err
	}
	s.openapi = doc
	if s.ui, err = dashboard.New(); err != nil {
		return nil, err
	}
	return s.routes(), nil
}

func (s *Server) routes() *gin.Engine {
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(gin.CustomRecoveryWithWriter(nil, s.recovered))
	r.NoRoute(notFound)
	r.NoMethod(func(c *gin.Context) {
		writeProblem(c, Problem{Type: problemNotFound, Status: http.StatusMethodNotAllowed, Detail: "method not allowed on this resource"})
	})
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET(openAPIPath, s.serveOpenAPI)
	s.dashboardRoutes(r)
	r.GET("/metrics", s.guardMetrics, gin.WrapH(promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(s.logger.Handler(), slog.LevelError)})))
	v1 := r.Group("/v1", s.authenticate, s.authorize)
	v1.Use(s.requireText, s.readYourWrites, s.idempotent)
	v1.POST("/agents", s.registerAgent)
	v1.GET("/agents", s.listAgents)
	v1.GET("/agents/:id", s.getAgent)
	v1.POST("/agents/:id/heartbeat", s.heartbeat)
	v1.POST("/agents/:id/drain", s.drainAgent)
	v1.DELETE("/agents/:id", s.deregisterAgent)
	v1.GET("/agents/:id/tasks", s.agentTasks)
	v1.GET("/agents/:id/assignments", s.assignments)
	v1.GET("/agents/:id/assignments/stream", s.assignmentStream)
	v1.POST("/swarms", s.createSwarm)
	v1.GET("/swarms", s.listSwarms)
	v1.GET("/swarms/:id", s.getSwarm)
	v1.PATCH("/swarms/:id", s.updateSwarm)
	v1.DELETE("/swarms/:id", s.dissolveSwarm)
	v1.POST("/swarms/:id/members", s.joinSwarm)
	v1.DELETE("/swarms/:id/members/:agent", s.leaveSwarm)
	v1.POST("/swarms/:id/tasks", s.submitTask)
	v1.POST("/swarms/:id/budget", s.raiseSwarmBudget)
	v1.POST("/swarms/:id/proposals", s.propose)
	v1.POST("/swarms/:id/proposals/:proposal/votes", s.vote)
	s.workflowRoutes(v1)
	s.tokenRoutes(v1)
	s.viewRoutes(v1)
	v1.GET("/live", s.liveStream)
	v1.GET("/events", s.listEvents)
	v1.GET("/streams/:stream", s.readStream)
	v1.GET("/tasks/:id", s.getTask)
	v1.POST("/tasks/:id/complete", s.completeTask)
	v1.POST("/tasks/:id/fail", s.failTask)
	v1.POST("/tasks/:id/progress", s.taskProgress)
	return r
}

func (s *Server) recovered(c *gin.Context, err any) {
	s.logger.Error("handler panicked", "path", c.Request.URL.Path, "panic", err)
	writeProblem(c, Problem{Type: problemInternal, Status: http.StatusInternalServerError, Detail: "internal error"})
}

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz answers whether the server can serve: its read models have caught
// up, and its event store can be reached. A store out of reach makes it
// unready, not unhealthy: the server reconnects by itself.
func (s *Server) readyz(c *gin.Context) {
	err := s.read.Ready()
	if err == nil {
		err = s.storeReachable(c.Request.Context())
	}
	if err != nil {
		writeProblem(c, Problem{Type: problemUnavailable, Status: http.StatusServiceUnavailable, Detail: err.Error(), Lag: s.read.Lag()})
		return
	}
	c.JSON(http.StatusOK, readiness{Status: "ready", Lag: s.read.Lag()})
}

// storeProbeTimeout bounds the read of the log's head that /readyz makes.
const storeProbeTimeout = time.Second

// storeReachable reads the head of the log, if the log tells it: an error
// if the event store cannot be reached.
func (s *Server) storeReachable(ctx context.Context) error {
	h, ok := s.log.(logHead)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, storeProbeTimeout)
	defer cancel()
	if _, err := h.Head(ctx); err != nil {
		return fmt.Errorf("the event store cannot be reached: %w", err)
	}
	return nil
}
