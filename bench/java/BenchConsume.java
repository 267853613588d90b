import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * ConsumerPerformance without a consumer group: assign() every partition, seekToBeginning, poll
 * until `messages` records (or `timeoutMs` without a record). Same consumer settings as
 * ConsumerPerformance (fetch size 1 MiB per partition, 2 MiB receive buffer, check.crcs=false),
 * counts key + value bytes the same way. Usage: BenchConsume bootstrap topic messages [timeoutMs]
 * Prints: consumed nMsg=N MB=X elapsedMs=T MB.sec=Y nMsg.sec=Z   (MB = MiB, as Kafka's tools)
 */
public class BenchConsume {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    long messages = Long.parseLong(args[2]);
    long timeoutMs = args.length > 3 ? Long.parseLong(args[3]) : 10_000L;
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("client.id", "bench-consume");
    p.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
    p.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
    p.put("receive.buffer.bytes", "2097152");
    p.put("max.partition.fetch.bytes", "1048576");
    p.put("check.crcs", "false");
    p.put("auto.offset.reset", "earliest");
    p.put("enable.auto.commit", "false");
    long n = 0;
    long bytes = 0;
    long start;
    long end;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      List<TopicPartition> tps = new ArrayList<>();
      for (PartitionInfo pi : consumer.partitionsFor(topic, Duration.ofSeconds(30))) tps.add(new TopicPartition(topic, pi.partition()));
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      start = System.currentTimeMillis();
      long lastRecord = start;
      while (n < messages && System.currentTimeMillis() - lastRecord <= timeoutMs) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
        if (!records.isEmpty()) lastRecord = System.currentTimeMillis();
        for (ConsumerRecord<byte[], byte[]> r : records) {
          n++;
          if (r.key() != null) bytes += r.key().length;
          if (r.value() != null) bytes += r.value().length;
        }
      }
      end = System.currentTimeMillis();
    }
    double mib = bytes / (1024.0 * 1024.0);
    double secs = Math.max(1, end - start) / 1000.0;
    System.out.printf("consumed nMsg=%d MB=%.4f elapsedMs=%d MB.sec=%.4f nMsg.sec=%.4f%n", n, mib, end - start, mib / secs, n / secs);
    if (n < messages) {
      System.err.printf("only %d of %d messages consumed before the %d ms timeout%n", n, messages, timeoutMs);
      System.exit(1);
    }
  }
}
