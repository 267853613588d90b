// fjord-franz-check drives franz-go (kgo + kadm) against a Kafka-compatible broker and prints one
// JSON document per run on stdout, for test/integration/franz-go.test.ts to assert exactly.
// Diagnostics (franz-go's own warnings and errors) go to stderr. Exit status 0 means the run
// completed and printed its result; 1 means it could not (the reason is on stderr); 2 is a usage
// error.
//
//	fjord-franz-check admin      -brokers B -topic T
//	fjord-franz-check produce    -brokers B -topic T -codec none|gzip|snappy|lz4|zstd -n N [-partitions P]
//	fjord-franz-check consume    -brokers B -topic T -codec C -n N
//	fjord-franz-check group      -brokers B -topic T -group G -n N
//	fjord-franz-check offsets    -brokers B -topic T
//	fjord-franz-check autocreate -brokers B -topic T -missing M
//
// Records of produce/consume are generated from their index i (see key, value, headers below),
// so the consumer checks every byte without the producer's help.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	cmd, args := os.Args[1], os.Args[2:]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	brokers := fs.String("brokers", "127.0.0.1:9092", "bootstrap servers, comma separated")
	topic := fs.String("topic", "", "topic")
	codec := fs.String("codec", "none", "compression codec")
	n := fs.Int("n", 1000, "number of records")
	group := fs.String("group", "", "consumer group")
	missing := fs.String("missing", "", "a topic that must not be auto-created")
	partitions := fs.Int("partitions", 0, "produce: create the topic with this many partitions first")
	timeout := fs.Duration("timeout", 90*time.Second, "overall deadline")
	_ = fs.Parse(args)
	if *topic == "" {
		usage()
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	seeds := strings.Split(*brokers, ",")

	var out any
	var err error
	switch cmd {
	case "admin":
		out, err = cmdAdmin(ctx, seeds, *topic)
	case "produce":
		out, err = cmdProduce(ctx, seeds, *topic, *codec, *n, *partitions)
	case "consume":
		out, err = cmdConsume(ctx, seeds, *topic, *codec, *n)
	case "group":
		if *group == "" {
			usage()
		}
		out, err = cmdGroup(ctx, seeds, *topic, *group, *n)
	case "offsets":
		out, err = cmdOffsets(ctx, seeds, *topic)
	case "autocreate":
		if *missing == "" {
			usage()
		}
		out, err = cmdAutocreate(ctx, seeds, *topic, *missing)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", cmd, err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(os.Stderr, "encode: %v\n", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: fjord-franz-check admin|produce|consume|group|offsets|autocreate -brokers B -topic T [-codec C] [-n N] [-partitions P] [-group G] [-missing M]")
	os.Exit(2)
}

// ---- helpers ------------------------------------------------------------------------------

func baseOpts(seeds []string, clientID string) []kgo.Opt {
	return []kgo.Opt{
		kgo.SeedBrokers(seeds...),
		kgo.ClientID(clientID),
		kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelWarn, func() string { return clientID + " " })),
	}
}

// errName is "" for nil, the Kafka error name (e.g. TOPIC_ALREADY_EXISTS) for broker errors, and
// the error text otherwise.
func errName(err error) string {
	if err == nil {
		return ""
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Message
	}
	return err.Error()
}

func ptr(s string) *string { return &s }

// record i of the produce/consume runs
func recKey(i int) string { return fmt.Sprintf("key-%05d", i) }

// Compressible (repeated text) with a unique tail, so that every codec shrinks even a batch of a
// single record (franz-go sends a batch uncompressed when compression would not make it smaller).
func recValue(i int, codec string) string {
	return fmt.Sprintf("value-%05d|%s|%s|%d", i, codec, strings.Repeat("fjord franz-go ", 6+i%17), (i*7919)%10007)
}

func recHeaders(i int, codec string) []kgo.RecordHeader {
	return []kgo.RecordHeader{
		{Key: "idx", Value: []byte(strconv.Itoa(i))},
		{Key: "codec", Value: []byte(codec)},
		{Key: "bin", Value: []byte{0, byte(i), byte(i >> 8), 0xff}},
	}
}

func codecOf(name string) (kgo.CompressionCodec, uint8, error) {
	switch name {
	case "none":
		return kgo.NoCompression(), 0, nil
	case "gzip":
		return kgo.GzipCompression(), 1, nil
	case "snappy":
		return kgo.SnappyCompression(), 2, nil
	case "lz4":
		return kgo.Lz4Compression(), 3, nil
	case "zstd":
		return kgo.ZstdCompression(), 4, nil
	}
	return kgo.CompressionCodec{}, 0, fmt.Errorf("unknown codec %q", name)
}

// connCounter counts the TCP connections a client opens and the request keys it writes.
type connCounter struct {
	mu    sync.Mutex
	conns int
	keys  map[int16]int
}

// OnBrokerConnect implements kgo.HookBrokerConnect.
func (c *connCounter) OnBrokerConnect(_ kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if err != nil {
		return
	}
	c.mu.Lock()
	c.conns++
	c.mu.Unlock()
}

// OnBrokerWrite implements kgo.HookBrokerWrite.
func (c *connCounter) OnBrokerWrite(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if err != nil {
		return
	}
	c.mu.Lock()
	c.keys[key]++
	c.mu.Unlock()
}

func (c *connCounter) apiKeys() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ks []int
	for k := range c.keys {
		ks = append(ks, int(k))
	}
	sort.Ints(ks)
	return ks
}

func sortedInts32(m map[int32]bool) []int32 {
	out := []int32{}
	for p, ok := range m {
		if ok {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a] < out[b] })
	return out
}

// ---- admin --------------------------------------------------------------------------------

type configView struct {
	Value  *string `json:"value"`
	Source string  `json:"source"`
}

type partitionView struct {
	Partition int32   `json:"partition"`
	Leader    int32   `json:"leader"`
	Replicas  []int32 `json:"replicas"`
	ISR       []int32 `json:"isr"`
	Err       string  `json:"err"`
}

var watchedConfigs = []string{"cleanup.policy", "max.message.bytes", "retention.ms", "segment.bytes"}

func describeWatched(ctx context.Context, adm *kadm.Client, topic string) (map[string]configView, error) {
	rcs, err := adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		return nil, err
	}
	rc, err := rcs.On(topic, nil)
	if err != nil {
		return nil, err
	}
	if rc.Err != nil {
		return map[string]configView{"error": {Source: errName(rc.Err)}}, nil
	}
	out := map[string]configView{}
	for _, c := range rc.Configs {
		for _, w := range watchedConfigs {
			if c.Key == w {
				out[w] = configView{Value: c.Value, Source: c.Source.String()}
			}
		}
	}
	return out, nil
}

// describeChanged describes until the watched configs differ from prev (Kafka applies an
// altered config to what it describes a moment after it answers the alter request), for 10 s at
// most; it then returns what it last saw.
func describeChanged(ctx context.Context, adm *kadm.Client, topic string, prev map[string]configView) (map[string]configView, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		cur, err := describeWatched(ctx, adm, topic)
		if err != nil || !reflect.DeepEqual(cur, prev) || time.Now().After(deadline) {
			return cur, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func alterErrs(rs kadm.AlterConfigsResponses, err error) []string {
	if err != nil {
		return []string{"request: " + err.Error()}
	}
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Name+":"+errName(r.Err))
	}
	sort.Strings(out)
	return out
}

func cmdAdmin(ctx context.Context, seeds []string, topic string) (any, error) {
	cl, err := kgo.NewClient(baseOpts(seeds, "franz-admin")...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	out := map[string]any{}

	cr, err := adm.CreateTopic(ctx, 3, 1, map[string]*string{"retention.ms": ptr("3600000")}, topic)
	if err != nil && cr.Err == nil {
		return nil, fmt.Errorf("create: %w", err)
	}
	out["create"] = map[string]any{
		"topic":             cr.Topic,
		"err":               errName(cr.Err),
		"numPartitions":     cr.NumPartitions,
		"replicationFactor": cr.ReplicationFactor,
		"hasTopicId":        cr.ID != kadm.TopicID{},
	}
	cr2, err := adm.CreateTopic(ctx, 3, 1, nil, topic)
	if err != nil && cr2.Err == nil {
		return nil, fmt.Errorf("create again: %w", err)
	}
	out["createAgain"] = errName(cr2.Err)

	all, err := adm.ListTopics(ctx)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	td, listed := all[topic]
	parts := []partitionView{}
	for _, p := range td.Partitions.Sorted() {
		parts = append(parts, partitionView{p.Partition, p.Leader, p.Replicas, p.ISR, errName(p.Err)})
	}
	out["list"] = map[string]any{
		"listed":      listed,
		"internal":    td.IsInternal,
		"sameTopicId": td.ID == cr.ID,
		"partitions":  parts,
		"err":         errName(td.Err),
	}

	created, err := describeWatched(ctx, adm, topic)
	if err != nil {
		return nil, fmt.Errorf("describe: %w", err)
	}
	out["describeCreated"] = created

	// incremental: SET one config, DELETE the one given at creation
	out["alterIncremental"] = alterErrs(adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{
		{Op: kadm.SetConfig, Name: "segment.bytes", Value: ptr("1048576")},
		{Op: kadm.DeleteConfig, Name: "retention.ms"},
	}, topic))
	incremental, err := describeChanged(ctx, adm, topic, created)
	if err != nil {
		return nil, fmt.Errorf("describe: %w", err)
	}
	out["describeIncremental"] = incremental

	// legacy AlterConfigs: the given set replaces every dynamic config of the topic
	out["alterState"] = alterErrs(adm.AlterTopicConfigsState(ctx, []kadm.AlterConfig{
		{Name: "max.message.bytes", Value: ptr("200000")},
		{Name: "cleanup.policy", Value: ptr("compact")},
	}, topic))
	state, err := describeChanged(ctx, adm, topic, incremental)
	if err != nil {
		return nil, fmt.Errorf("describe: %w", err)
	}
	out["describeState"] = state

	// rejected: a value that is not a number; nothing changes
	out["alterInvalid"] = alterErrs(adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{
		{Op: kadm.SetConfig, Name: "retention.ms", Value: ptr("not-a-number")},
	}, topic))
	if out["describeAfterInvalid"], err = describeWatched(ctx, adm, topic); err != nil {
		return nil, fmt.Errorf("describe: %w", err)
	}

	dr, err := adm.DeleteTopic(ctx, topic)
	if err != nil && dr.Err == nil {
		return nil, fmt.Errorf("delete: %w", err)
	}
	out["delete"] = errName(dr.Err)

	// deletion is complete when listings no longer show the topic
	gone := false
	var lastErr string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		all, err := adm.ListTopics(ctx)
		if err != nil {
			return nil, fmt.Errorf("list after delete: %w", err)
		}
		if _, ok := all[topic]; !ok {
			one, err := adm.ListTopics(ctx, topic)
			if err != nil {
				return nil, fmt.Errorf("list after delete: %w", err)
			}
			lastErr = errName(one[topic].Err)
			if lastErr != "" {
				gone = true
				break
			}
		}
	}
	out["goneAfterDelete"] = gone
	out["listAfterDelete"] = lastErr

	dr2, err := adm.DeleteTopic(ctx, topic)
	if err != nil && dr2.Err == nil {
		return nil, fmt.Errorf("delete again: %w", err)
	}
	out["deleteAgain"] = errName(dr2.Err)
	return out, nil
}

// ---- produce ------------------------------------------------------------------------------

type produceResult struct {
	Acked      int      `json:"acked"`
	Errors     []string `json:"errors"`
	Partitions [][]int  `json:"partitions"` // record indices per partition, in offset order
	Problems   []string `json:"problems"`
	APIKeys    []int    `json:"apiKeys"` // request keys the producer client sent
	Seconds    float64  `json:"seconds"`
}

func cmdProduce(ctx context.Context, seeds []string, topic, codecName string, n, partitions int) (any, error) {
	codec, _, err := codecOf(codecName)
	if err != nil {
		return nil, err
	}
	// defaults otherwise: idempotent, acks=all, sticky key partitioner (murmur2 for keys)
	counter := &connCounter{keys: map[int16]int{}}
	opts := append(baseOpts(seeds, "franz-producer"), kgo.DefaultProduceTopic(topic), kgo.ProducerBatchCompression(codec), kgo.WithHooks(counter))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	if partitions > 0 {
		cr, err := kadm.NewClient(cl).CreateTopic(ctx, int32(partitions), 1, nil, topic)
		if err != nil || cr.Err != nil {
			return nil, fmt.Errorf("create topic: %v %v", err, cr.Err)
		}
	}

	type placed struct {
		p   int32
		o   int64
		err error
	}
	at := make([]placed, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n; i++ {
		r := &kgo.Record{Key: []byte(recKey(i)), Value: []byte(recValue(i, codecName)), Headers: recHeaders(i, codecName)}
		wg.Add(1)
		i := i
		cl.Produce(ctx, r, func(r *kgo.Record, err error) {
			at[i] = placed{r.Partition, r.Offset, err}
			wg.Done()
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return nil, fmt.Errorf("flush: %w", err)
	}
	wg.Wait()
	res := produceResult{Errors: []string{}, Problems: []string{}, Seconds: time.Since(start).Seconds()}
	byPart := map[int32]map[int64]int{}
	maxP := int32(-1)
	for i, a := range at {
		if a.err != nil {
			if len(res.Errors) < 10 {
				res.Errors = append(res.Errors, fmt.Sprintf("record %d: %v", i, a.err))
			}
			continue
		}
		res.Acked++
		if byPart[a.p] == nil {
			byPart[a.p] = map[int64]int{}
		}
		if prev, dup := byPart[a.p][a.o]; dup {
			res.Problems = append(res.Problems, fmt.Sprintf("records %d and %d both acked at %d/%d", prev, i, a.p, a.o))
		}
		byPart[a.p][a.o] = i
		if a.p > maxP {
			maxP = a.p
		}
	}
	res.Partitions = make([][]int, maxP+1)
	for p := int32(0); p <= maxP; p++ {
		m := byPart[p]
		list := make([]int, 0, len(m))
		for o := int64(0); o < int64(len(m)); o++ {
			i, ok := m[o]
			if !ok {
				res.Problems = append(res.Problems, fmt.Sprintf("partition %d: no record acked at offset %d (offsets not dense from 0)", p, o))
				break
			}
			list = append(list, i)
		}
		res.Partitions[p] = list
	}
	if len(res.Problems) > 10 {
		res.Problems = res.Problems[:10]
	}
	res.APIKeys = counter.apiKeys()
	return res, nil
}

// ---- consume (direct, no group) -----------------------------------------------------------

type consumeResult struct {
	Records        int      `json:"records"`
	Partitions     [][]int  `json:"partitions"` // record indices per partition, in offset order
	Problems       []string `json:"problems"`
	Codecs         []int    `json:"codecs"`         // batch compression codecs seen
	TimestampTypes []int    `json:"timestampTypes"` // 0 CreateTime, 1 LogAppendTime
	FetchErrors    []string `json:"fetchErrors"`
	Connections    int      `json:"connections"`
	APIKeys        []int    `json:"apiKeys"`
	Seconds        float64  `json:"seconds"`
}

func cmdConsume(ctx context.Context, seeds []string, topic, codecName string, n int) (any, error) {
	_, wantCodec, err := codecOf(codecName)
	if err != nil {
		return nil, err
	}
	counter := &connCounter{keys: map[int16]int{}}
	opts := append(baseOpts(seeds, "franz-consumer"),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.WithHooks(counter),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()

	res := consumeResult{Problems: []string{}, FetchErrors: []string{}, Partitions: [][]int{}, Codecs: []int{}, TimestampTypes: []int{}}
	codecs := map[int]bool{}
	tsTypes := map[int]bool{}
	problem := func(f string, a ...any) {
		if len(res.Problems) < 10 {
			res.Problems = append(res.Problems, fmt.Sprintf(f, a...))
		}
	}
	start := time.Now()
	handle := func(r *kgo.Record) {
		res.Records++
		for int(r.Partition) >= len(res.Partitions) {
			res.Partitions = append(res.Partitions, []int{})
		}
		list := res.Partitions[r.Partition]
		if r.Topic != topic {
			problem("record from topic %q", r.Topic)
		}
		if r.Offset != int64(len(list)) {
			problem("partition %d: offset %d after %d records", r.Partition, r.Offset, len(list))
		}
		codecs[int(r.Attrs.CompressionType())] = true
		tsTypes[int(r.Attrs.TimestampType())] = true
		var i int
		if _, err := fmt.Sscanf(string(r.Key), "key-%d", &i); err != nil || i < 0 || i >= n || recKey(i) != string(r.Key) {
			problem("%d/%d: unexpected key %q", r.Partition, r.Offset, r.Key)
			res.Partitions[r.Partition] = append(list, -1)
			return
		}
		res.Partitions[r.Partition] = append(list, i)
		if string(r.Value) != recValue(i, codecName) {
			problem("%d/%d: value of record %d is %q", r.Partition, r.Offset, i, r.Value)
		}
		want := recHeaders(i, codecName)
		same := len(r.Headers) == len(want)
		for h := 0; same && h < len(want); h++ {
			same = r.Headers[h].Key == want[h].Key && string(r.Headers[h].Value) == string(want[h].Value)
		}
		if !same {
			problem("%d/%d: headers of record %d are %v", r.Partition, r.Offset, i, r.Headers)
		}
		if r.Timestamp.Before(start.Add(-10*time.Minute)) || r.Timestamp.After(time.Now().Add(time.Minute)) {
			problem("%d/%d: timestamp %v", r.Partition, r.Offset, r.Timestamp)
		}
	}
	poll := func(pctx context.Context) {
		fs := cl.PollFetches(pctx)
		fs.EachError(func(t string, p int32, err error) {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				return
			}
			if len(res.FetchErrors) < 10 {
				res.FetchErrors = append(res.FetchErrors, fmt.Sprintf("%s/%d: %v", t, p, err))
			}
		})
		fs.EachRecord(handle)
	}
	for res.Records < n && ctx.Err() == nil && len(res.FetchErrors) < 10 {
		poll(ctx)
	}
	res.Seconds = time.Since(start).Seconds()
	// anything more (a duplicate, say) would show up within a few fetches
	extra, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	for extra.Err() == nil {
		poll(extra)
	}
	cancel()
	for c := range codecs {
		res.Codecs = append(res.Codecs, c)
	}
	sort.Ints(res.Codecs)
	for t := range tsTypes {
		res.TimestampTypes = append(res.TimestampTypes, t)
	}
	sort.Ints(res.TimestampTypes)
	if len(codecs) != 1 || !codecs[int(wantCodec)] {
		problem("codecs %v, want only %d", res.Codecs, wantCodec)
	}
	counter.mu.Lock()
	res.Connections = counter.conns
	counter.mu.Unlock()
	res.APIKeys = counter.apiKeys()
	return res, nil
}

// ---- group --------------------------------------------------------------------------------

type memberState struct {
	mu       sync.Mutex
	owned    map[int32]bool
	events   []string
	consumed map[int32][]int64 // offsets per partition, in poll order
	values   []string
	errors   []string
}

type memberView struct {
	ClientID     string   `json:"clientId"`
	Owned        []int32  `json:"owned"`
	ConsumedFrom []int32  `json:"consumedFrom"`
	Consumed     int      `json:"consumed"`
	Events       []string `json:"events"`
	FetchErrors  []string `json:"fetchErrors"`
	CommitErr    string   `json:"commitErr"`
	Described    []int32  `json:"described"`
}

type groupResult struct {
	Members          []memberView       `json:"members"`
	Produced         int                `json:"produced"`
	EndOffsets       []int64            `json:"endOffsets"`
	Consumed         int                `json:"consumed"`
	Distinct         int                `json:"distinct"`
	Duplicates       []string           `json:"duplicates"`
	Missing          int                `json:"missing"`
	OrderProblems    []string           `json:"orderProblems"`
	Committed        []int64            `json:"committed"`
	CommittedErrs    []string           `json:"committedErrs"`
	GroupState       string             `json:"groupState"`
	ProtocolType     string             `json:"protocolType"`
	Protocol         string             `json:"protocol"`
	DescribedMembers int                `json:"describedMembers"`
	AfterClose       map[string]any     `json:"afterClose"`
	Timings          map[string]float64 `json:"timings"`
}

func cmdGroup(ctx context.Context, seeds []string, topic, group string, n int) (any, error) {
	const partitions = 4
	admCl, err := kgo.NewClient(baseOpts(seeds, "franz-group-admin")...)
	if err != nil {
		return nil, err
	}
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	if cr, err := adm.CreateTopic(ctx, partitions, 1, nil, topic); err != nil || cr.Err != nil {
		return nil, fmt.Errorf("create topic: %v %v", err, cr.Err)
	}
	start := time.Now()
	res := groupResult{Duplicates: []string{}, OrderProblems: []string{}, CommittedErrs: []string{}, Timings: map[string]float64{}}

	states := make([]*memberState, 2)
	clients := make([]*kgo.Client, 2)
	closed := false
	defer func() {
		if !closed {
			for _, c := range clients {
				if c != nil {
					c.Close()
				}
			}
		}
	}()
	pollCtx, stopPolling := context.WithCancel(ctx)
	var pollers sync.WaitGroup
	defer func() { stopPolling(); pollers.Wait() }()

	// event records an assignment change; franz-go also calls back with empty sets, skipped here
	event := func(st *memberState, what string, ps []int32, owned bool) {
		st.mu.Lock()
		defer st.mu.Unlock()
		for _, p := range ps {
			st.owned[p] = owned
		}
		if len(ps) > 0 {
			sorted := append([]int32{}, ps...)
			sort.Slice(sorted, func(a, b int) bool { return sorted[a] < sorted[b] })
			st.events = append(st.events, fmt.Sprintf("%s %v", what, sorted))
		}
	}
	startMember := func(m int) error {
		st := &memberState{owned: map[int32]bool{}, consumed: map[int32][]int64{}}
		states[m] = st
		clientID := fmt.Sprintf("franz-member-%d", m)
		opts := append(baseOpts(seeds, clientID),
			kgo.ConsumerGroup(group),
			kgo.ConsumeTopics(topic),
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) { event(st, "assigned", a[topic], true) }),
			kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, r map[string][]int32) { event(st, "revoked", r[topic], false) }),
			kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, l map[string][]int32) { event(st, "lost", l[topic], false) }),
		)
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			return err
		}
		clients[m] = cl
		pollers.Add(1)
		go func() {
			defer pollers.Done()
			for pollCtx.Err() == nil {
				fs := cl.PollFetches(pollCtx)
				st.mu.Lock()
				fs.EachError(func(t string, p int32, err error) {
					if !errors.Is(err, context.Canceled) && len(st.errors) < 10 {
						st.errors = append(st.errors, fmt.Sprintf("%s/%d: %v", t, p, err))
					}
				})
				fs.EachRecord(func(r *kgo.Record) {
					st.consumed[r.Partition] = append(st.consumed[r.Partition], r.Offset)
					st.values = append(st.values, string(r.Value))
				})
				st.mu.Unlock()
			}
		}()
		return nil
	}
	// waitOwned waits until the started members own want[m] partitions each, all of them together
	waitOwned := func(want ...int) bool {
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			union := map[int32]int{}
			ok := true
			for m, w := range want {
				st := states[m]
				st.mu.Lock()
				owned := sortedInts32(st.owned)
				st.mu.Unlock()
				ok = ok && len(owned) == w
				for _, p := range owned {
					union[p]++
				}
			}
			if ok && len(union) == partitions {
				return true
			}
		}
		for m := range want {
			st := states[m]
			st.mu.Lock()
			fmt.Fprintf(os.Stderr, "member %d owned %v events %v errors %v\n", m, sortedInts32(st.owned), st.events, st.errors)
			st.mu.Unlock()
		}
		return false
	}

	// the first member alone gets every partition; the second one's arrival splits them
	// (cooperative-sticky: the first member gives up two partitions, then they go to the second)
	if err := startMember(0); err != nil {
		return nil, err
	}
	if !waitOwned(partitions) {
		return nil, errors.New("the first member did not get all partitions within 60 s")
	}
	res.Timings["first"] = time.Since(start).Seconds()
	if err := startMember(1); err != nil {
		return nil, err
	}
	if !waitOwned(partitions/2, partitions/2) {
		return nil, errors.New("the two members never settled on an even split of the partitions within 60 s")
	}
	res.Timings["settled"] = time.Since(start).Seconds()

	// produce with a separate client: record i to partition i % 4
	prod, err := kgo.NewClient(append(baseOpts(seeds, "franz-group-producer"), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		prod.Produce(ctx, &kgo.Record{Partition: int32(i % partitions), Key: []byte(fmt.Sprintf("g-%d", i)), Value: []byte(fmt.Sprintf("group-%06d", i))}, func(_ *kgo.Record, err error) {
			if err == nil {
				return
			}
			fmt.Fprintf(os.Stderr, "produce: %v\n", err)
		})
	}
	err = prod.Flush(ctx)
	prod.Close()
	if err != nil {
		return nil, fmt.Errorf("flush: %w", err)
	}
	res.Produced = n
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("end offsets: %w", err)
	}
	for p := int32(0); p < partitions; p++ {
		o, _ := ends.Lookup(topic, p)
		res.EndOffsets = append(res.EndOffsets, o.Offset)
	}

	total := func() int {
		t := 0
		for _, st := range states {
			st.mu.Lock()
			t += len(st.values)
			st.mu.Unlock()
		}
		return t
	}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && total() < n; time.Sleep(20 * time.Millisecond) {
	}
	res.Timings["consumed"] = time.Since(start).Seconds()
	time.Sleep(1500 * time.Millisecond) // a duplicate would arrive in this window
	stopPolling()
	pollers.Wait()

	// commit what was polled, then read the commits back with kadm
	for m, c := range clients {
		view := memberView{ClientID: fmt.Sprintf("franz-member-%d", m), CommitErr: errName(c.CommitUncommittedOffsets(ctx)), Described: []int32{}}
		st := states[m]
		st.mu.Lock()
		view.Owned = sortedInts32(st.owned)
		view.Events = st.events
		view.FetchErrors = append([]string{}, st.errors...)
		from := map[int32]bool{}
		for p, offs := range st.consumed {
			from[p] = len(offs) > 0
			for k, o := range offs {
				if o != int64(k) {
					res.OrderProblems = append(res.OrderProblems, fmt.Sprintf("member %d partition %d: offset %d at position %d", m, p, o, k))
					break
				}
			}
		}
		view.ConsumedFrom = sortedInts32(from)
		view.Consumed = len(st.values)
		st.mu.Unlock()
		res.Members = append(res.Members, view)
	}
	seen := map[string]int{}
	for _, st := range states {
		for _, v := range st.values {
			seen[v]++
			res.Consumed++
		}
	}
	res.Distinct = len(seen)
	for v, c := range seen {
		if c > 1 && len(res.Duplicates) < 10 {
			res.Duplicates = append(res.Duplicates, fmt.Sprintf("%s x%d", v, c))
		}
	}
	for i := 0; i < n; i++ {
		if seen[fmt.Sprintf("group-%06d", i)] == 0 {
			res.Missing++
		}
	}

	fetchCommitted := func() ([]int64, []string, error) {
		offs, err := adm.FetchOffsets(ctx, group)
		if err != nil {
			return nil, nil, err
		}
		out := []int64{}
		errs := []string{}
		for p := int32(0); p < partitions; p++ {
			o, ok := offs.Lookup(topic, p)
			if !ok {
				out = append(out, -2)
				continue
			}
			out = append(out, o.At)
			if o.Err != nil {
				errs = append(errs, fmt.Sprintf("%d:%s", p, errName(o.Err)))
			}
		}
		return out, errs, nil
	}
	if res.Committed, res.CommittedErrs, err = fetchCommitted(); err != nil {
		return nil, fmt.Errorf("fetch offsets: %w", err)
	}

	described, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("describe group: %w", err)
	}
	dg := described[group]
	res.GroupState, res.ProtocolType, res.Protocol, res.DescribedMembers = dg.State, dg.ProtocolType, dg.Protocol, len(dg.Members)
	for _, dm := range dg.Members {
		for m := range res.Members {
			if res.Members[m].ClientID != dm.ClientID {
				continue
			}
			if ca, ok := dm.Assigned.AsConsumer(); ok {
				for _, t := range ca.Topics {
					if t.Topic == topic {
						res.Members[m].Described = append(res.Members[m].Described, t.Partitions...)
					}
				}
			}
			sort.Slice(res.Members[m].Described, func(a, b int) bool { return res.Members[m].Described[a] < res.Members[m].Described[b] })
		}
	}

	// leave the group; the commits stay
	for _, c := range clients {
		c.Close()
	}
	closed = true
	after := map[string]any{}
	var state string
	var members int
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		described, err = adm.DescribeGroups(ctx, group)
		if err != nil {
			return nil, fmt.Errorf("describe group: %w", err)
		}
		state, members = described[group].State, len(described[group].Members)
		if members == 0 {
			break
		}
	}
	after["state"], after["members"] = state, members
	committed, errs, err := fetchCommitted()
	if err != nil {
		return nil, fmt.Errorf("fetch offsets: %w", err)
	}
	after["committed"], after["committedErrs"] = committed, errs
	lag, err := adm.Lag(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("lag: %w", err)
	}
	after["totalLag"] = lag[group].Lag.Total()
	res.AfterClose = after
	res.Timings["total"] = time.Since(start).Seconds()
	return res, nil
}

// ---- offsets ------------------------------------------------------------------------------

type listedView struct {
	Offset      int64  `json:"offset"`
	Timestamp   int64  `json:"timestamp"` // relative to the base timestamp when >= 0
	LeaderEpoch int32  `json:"leaderEpoch"`
	Err         string `json:"err"`
}

func cmdOffsets(ctx context.Context, seeds []string, topic string) (any, error) {
	const partitions, perPartition = 2, 10
	cl, err := kgo.NewClient(append(baseOpts(seeds, "franz-offsets"), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if cr, err := adm.CreateTopic(ctx, partitions, 1, nil, topic); err != nil || cr.Err != nil {
		return nil, fmt.Errorf("create topic: %v %v", err, cr.Err)
	}
	// one hour ago, whole second; record i of each partition at base + i s
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i := 0; i < perPartition; i++ {
		for p := int32(0); p < partitions; p++ {
			r := &kgo.Record{Partition: p, Value: []byte(fmt.Sprintf("p%d-%d", p, i)), Timestamp: base.Add(time.Duration(i) * time.Second)}
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				return nil, fmt.Errorf("produce: %w", err)
			}
		}
	}
	baseMs := base.UnixMilli()
	view := func(l kadm.ListedOffsets, err error) (map[string]listedView, error) {
		if err != nil {
			return nil, err
		}
		out := map[string]listedView{}
		l.Each(func(o kadm.ListedOffset) {
			ts := o.Timestamp
			if o.Err != nil {
				ts = -1
			} else if ts >= 0 {
				ts -= baseMs
			}
			out[strconv.Itoa(int(o.Partition))] = listedView{o.Offset, ts, o.LeaderEpoch, errName(o.Err)}
		})
		return out, nil
	}
	out := map[string]any{}
	if out["start"], err = view(adm.ListStartOffsets(ctx, topic)); err != nil {
		return nil, err
	}
	if out["end"], err = view(adm.ListEndOffsets(ctx, topic)); err != nil {
		return nil, err
	}
	dr, err := adm.DeleteRecords(ctx, kadm.Offsets{topic: {0: {Topic: topic, Partition: 0, At: 3, LeaderEpoch: -1}}})
	if err != nil {
		return nil, fmt.Errorf("delete records: %w", err)
	}
	d, _ := dr.Lookup(topic, 0)
	out["deleteRecords"] = map[string]any{"lowWatermark": d.LowWatermark, "err": errName(d.Err)}
	if out["startAfterDelete"], err = view(adm.ListStartOffsets(ctx, topic)); err != nil {
		return nil, err
	}
	for name, ms := range map[string]int64{
		"atBase":       baseMs,
		"before":       baseMs - 60_000,
		"between2and3": baseMs + 2500,
		"at7":          baseMs + 7000,
		"atLast":       baseMs + 9000,
		"afterLast":    baseMs + 9001,
		"farFuture":    baseMs + 86_400_000,
	} {
		if out["after_"+name], err = view(adm.ListOffsetsAfterMilli(ctx, ms, topic)); err != nil {
			return nil, err
		}
	}
	if out["maxTimestamp"], err = view(adm.ListMaxTimestampOffsets(ctx, topic)); err != nil {
		return nil, err
	}
	// a topic that does not exist
	if out["missingTopic"], err = view(adm.ListEndOffsets(ctx, topic+"-missing")); err != nil {
		return nil, err
	}
	return out, nil
}

// ---- auto-creation ------------------------------------------------------------------------

func cmdAutocreate(ctx context.Context, seeds []string, topic, missing string) (any, error) {
	out := map[string]any{}
	admCl, err := kgo.NewClient(baseOpts(seeds, "franz-autocreate-admin")...)
	if err != nil {
		return nil, err
	}
	defer admCl.Close()
	adm := kadm.NewClient(admCl)

	// without AllowAutoTopicCreation (the default), producing to a missing topic fails and
	// creates nothing
	plain, err := kgo.NewClient(append(baseOpts(seeds, "franz-no-autocreate"), kgo.UnknownTopicRetries(2))...)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	perr := plain.ProduceSync(ctx, &kgo.Record{Topic: missing, Value: []byte("x")}).FirstErr()
	plain.Close()
	out["missingProduceErr"] = errName(perr)
	out["missingSeconds"] = time.Since(start).Seconds()
	ld, err := adm.ListTopics(ctx, missing)
	if err != nil {
		return nil, err
	}
	out["missingListed"] = errName(ld[missing].Err)

	// with it, the first produce creates the topic with the broker's defaults
	auto, err := kgo.NewClient(append(baseOpts(seeds, "franz-autocreate"), kgo.AllowAutoTopicCreation(), kgo.DefaultProduceTopic(topic))...)
	if err != nil {
		return nil, err
	}
	defer auto.Close()
	var recs []*kgo.Record
	for i := 0; i < 5; i++ {
		recs = append(recs, &kgo.Record{Key: []byte(fmt.Sprintf("a%d", i)), Value: []byte(fmt.Sprintf("auto-%d", i))})
	}
	results := auto.ProduceSync(ctx, recs...)
	acked := []string{}
	for _, r := range results {
		if r.Err != nil {
			acked = append(acked, "error: "+errName(r.Err))
		} else {
			acked = append(acked, fmt.Sprintf("%d/%d", r.Record.Partition, r.Record.Offset))
		}
	}
	out["acked"] = acked
	td, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return nil, err
	}
	out["created"] = map[string]any{"err": errName(td[topic].Err), "partitions": len(td[topic].Partitions)}
	cfg, err := describeWatched(ctx, adm, topic)
	if err != nil {
		return nil, err
	}
	out["configs"] = cfg

	// read back with a direct consumer
	cons, err := kgo.NewClient(append(baseOpts(seeds, "franz-autocreate-consumer"), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		return nil, err
	}
	defer cons.Close()
	got := []string{}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for len(got) < len(recs) && pctx.Err() == nil {
		fs := cons.PollFetches(pctx)
		fs.EachRecord(func(r *kgo.Record) {
			got = append(got, fmt.Sprintf("%d/%d %s=%s", r.Partition, r.Offset, r.Key, r.Value))
		})
	}
	out["consumed"] = got
	return out, nil
}
