package zeren.testserver;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.graphdb.QueryExecutionException;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilders;

/**
 * A real Neo4j 5.26 Community server for zeren's tests and benchmarks, in
 * this process (neo4j-harness), serving Bolt on a loopback port.
 *
 * <pre>
 * java -jar neo4j-test-server.jar PORT DATA_DIR [TX_TIMEOUT_S TX_MEMORY_MB TOTAL_TX_MEMORY_MB [PAGECACHE_MB [STORE_DIR]]]
 * </pre>
 *
 * The first line read from standard input is the password of the user
 * {@code neo4j} (so it never shows on a command line); authentication is on.
 * The server keeps its store in a folder of its own under DATA_DIR, removed
 * when it stops. When it answers, it prints one line, {@code BOLT
 * bolt://127.0.0.1:PORT}. It stops cleanly when standard input closes (its
 * parent died or let it go) or on SIGTERM.
 *
 * Every transaction is bounded by the server: {@code db.transaction.timeout}
 * (default 60 s), {@code db.memory.transaction.max} (default 256 MiB) and
 * {@code db.memory.transaction.total.max} (default 512 MiB), so no query can
 * exhaust the server whatever its client asks for; and LOAD CSV may not read
 * the server's files ({@code dbms.security.allow_csv_import_from_file_urls}).
 * PAGECACHE_MB sets the page cache ({@code server.memory.pagecache.size}: the
 * benchmarks give heap plus page cache a budget); 0 or none: Neo4j chooses.
 * STORE_DIR, when given, is the server's data directory ({@code
 * server.directories.data}: {@code databases/} and {@code transactions/}),
 * kept when the server stops: a store written beforehand by {@code neo4j-admin
 * database import} is served as it is, and a later start serves it again.
 */
public final class Neo4jTestServer {
    private static final String HOST = "127.0.0.1";
    private static final long MIB = 1024L * 1024L;

    private Neo4jTestServer() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2 && args.length != 5 && args.length != 6 && args.length != 7) {
            System.err.println("usage: neo4j-test-server PORT DATA_DIR [TX_TIMEOUT_S TX_MEMORY_MB TOTAL_TX_MEMORY_MB"
                    + " [PAGECACHE_MB [STORE_DIR]]]"
                    + " (the password of user neo4j: the first line of standard input)");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        Path dataDir = Path.of(args[1]).toAbsolutePath();
        long timeoutS = args.length >= 5 ? Long.parseLong(args[2]) : 60;
        long txMemoryMb = args.length >= 5 ? Long.parseLong(args[3]) : 256;
        long totalTxMemoryMb = args.length >= 5 ? Long.parseLong(args[4]) : 512;
        long pagecacheMb = args.length >= 6 ? Long.parseLong(args[5]) : 0;
        Path storeDir = args.length == 7 ? Path.of(args[6]).toAbsolutePath() : null;

        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String password = stdin.readLine();
        if (password == null || password.isEmpty()) {
            System.err.println("no password on standard input");
            System.exit(2);
        }
        Files.createDirectories(dataDir);

        var builder = Neo4jBuilders.newInProcessBuilder(dataDir);
        if (pagecacheMb > 0) {
            builder = builder.withConfig(GraphDatabaseSettings.pagecache_memory, pagecacheMb * MIB);
        }
        if (storeDir != null) {
            builder = builder.withConfig(GraphDatabaseSettings.data_directory, storeDir);
        }
        Neo4j neo4j = builder
                .withDisabledServer() // Bolt only: no HTTP server
                .withConfig(GraphDatabaseSettings.auth_enabled, true)
                .withConfig(BoltConnector.enabled, true)
                .withConfig(BoltConnector.listen_address, new SocketAddress(HOST, port))
                // The routing table a neo4j:// driver asks for names this address.
                .withConfig(BoltConnector.advertised_address, new SocketAddress(HOST, port))
                .withConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofSeconds(timeoutS))
                .withConfig(GraphDatabaseSettings.memory_transaction_max_size, txMemoryMb * MIB)
                .withConfig(GraphDatabaseSettings.memory_transaction_global_max_size, totalTxMemoryMb * MIB)
                // LOAD CSV may not read the server's files (an analyst's read-only query could).
                .withConfig(GraphDatabaseSettings.allow_file_urls, false)
                // Stop in a second, not after Netty's default quiet period and
                // Bolt's thread pool wait (about 11 s in all).
                .withConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                .withConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(2))
                .withConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1))
                .build();

        AtomicBoolean stopped = new AtomicBoolean(false);
        Runnable stop = () -> {
            if (stopped.compareAndSet(false, true)) {
                neo4j.close();
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "neo4j-test-server-stop"));

        // Set the password through the system database (this process runs as
        // the server, which needs no login), and no change asked at first login.
        try {
            neo4j.databaseManagementService().database("system").executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
        } catch (QueryExecutionException e) {
            // A kept STORE_DIR served again with the password it already has.
            if (storeDir == null || !e.getMessage().contains("Old password and new password cannot be the same")) {
                throw e;
            }
        }

        System.out.println("BOLT bolt://" + HOST + ":" + neo4j.boltURI().getPort());
        System.out.flush();

        // Block until standard input closes, then stop.
        while (stdin.readLine() != null) {
            // Any line is ignored: only the end of the input matters.
        }
        stop.run();
        System.exit(0);
    }
}
