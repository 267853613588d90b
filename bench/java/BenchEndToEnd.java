import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * org.apache.kafka.tools.EndToEndLatency without a consumer group (that tool calls commitSync,
 * which needs a group coordinator): same producer (linger.ms=0, acks as given) and consumer
 * (assign + seekToEnd, fetch.max.wait.ms=0) settings, one record in flight at a time, latency =
 * send() to the record coming back from poll(). The first `warmup` round trips are not counted.
 * Usage: BenchEndToEnd bootstrap topic messages acks recordSize [warmup]
 * Prints EndToEndLatency's two lines plus `Percentiles (us): ...` (microseconds).
 */
public class BenchEndToEnd {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    int messages = Integer.parseInt(args[2]);
    String acks = args[3];
    int size = Integer.parseInt(args[4]);
    int warmup = args.length > 5 ? Integer.parseInt(args[5]) : 0;

    Properties cp = new Properties();
    cp.put("bootstrap.servers", bootstrap);
    cp.put("client.id", "bench-e2e-consumer");
    cp.put("enable.auto.commit", "false");
    cp.put("auto.offset.reset", "latest");
    cp.put("fetch.max.wait.ms", "0");
    cp.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
    cp.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
    Properties pp = new Properties();
    pp.put("bootstrap.servers", bootstrap);
    pp.put("client.id", "bench-e2e-producer");
    pp.put("linger.ms", "0");
    pp.put("max.block.ms", String.valueOf(Long.MAX_VALUE));
    pp.put("acks", acks);
    pp.put("key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
    pp.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");

    Random random = new Random(0);
    long[] latencies = new long[messages];
    double totalMs = 0;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cp);
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp)) {
      List<TopicPartition> tps = new ArrayList<>();
      for (PartitionInfo pi : consumer.partitionsFor(topic, Duration.ofSeconds(30))) tps.add(new TopicPartition(topic, pi.partition()));
      consumer.assign(tps);
      consumer.seekToEnd(tps);
      for (TopicPartition tp : tps) consumer.position(tp);
      for (int i = -warmup; i < messages; i++) {
        byte[] value = new byte[size];
        random.nextBytes(value);
        long begin = System.nanoTime();
        producer.send(new ProducerRecord<>(topic, value)).get();
        Iterator<ConsumerRecord<byte[], byte[]>> it = null;
        long deadline = System.currentTimeMillis() + 60_000;
        while (it == null || !it.hasNext()) {
          ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(1));
          it = records.iterator();
          if (System.currentTimeMillis() > deadline) throw new RuntimeException("poll() timed out before finding a result (timeout:[60000])");
        }
        long elapsed = System.nanoTime() - begin;
        ConsumerRecord<byte[], byte[]> got = it.next();
        if (!Arrays.equals(got.value(), value)) throw new RuntimeException("the record read back is not the one sent");
        if (it.hasNext()) throw new RuntimeException("only one record expected per poll");
        if (i >= 0) {
          latencies[i] = elapsed / 1000;
          totalMs += elapsed / 1_000_000.0;
        }
      }
    }
    Arrays.sort(latencies);
    long p50 = latencies[(int) (messages * 0.5)];
    long p99 = latencies[(int) (messages * 0.99)];
    long p999 = latencies[(int) (messages * 0.999)];
    System.out.printf("Avg latency: %.4f ms%n", totalMs / messages);
    System.out.printf("Percentiles: 50th = %d, 99th = %d, 99.9th = %d%n", p50 / 1000, p99 / 1000, p999 / 1000);
    System.out.printf("Percentiles (us): 50th = %d, 99th = %d, 99.9th = %d%n", p50, p99, p999);
  }
}
