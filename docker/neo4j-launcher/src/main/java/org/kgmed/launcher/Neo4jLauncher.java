package org.kgmed.launcher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

/**
 * Starts the real Neo4j community DBMS in this JVM with Bolt on 127.0.0.1 only.
 *
 * <p>Arguments: {@code --home DIR} (data directory, created if missing), {@code --port N}
 * (Bolt port, default 7687), {@code --password-env NAME} (environment variable holding the
 * password of user {@code neo4j}; default {@code NEO4J_PASSWORD}; authentication stays on).
 * Prints {@code KGMED-NEO4J-READY bolt://127.0.0.1:PORT} once Bolt accepts connections and
 * shuts the DBMS down cleanly on SIGTERM/SIGINT.
 */
public final class Neo4jLauncher {
    private Neo4jLauncher() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = parse(args);
        Path home = Path.of(opts.getOrDefault("--home", "neo4j-home")).toAbsolutePath();
        int port = Integer.parseInt(opts.getOrDefault("--port", "7687"));
        String passwordEnv = opts.getOrDefault("--password-env", "NEO4J_PASSWORD");
        String password = System.getenv(passwordEnv);
        if (password == null || password.length() < 8) {
            System.err.println("kgmed-neo4j-launcher: set " + passwordEnv
                    + " to a password of at least 8 characters for user neo4j");
            System.exit(2);
        }
        Files.createDirectories(home);

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .build();

        // The system database holds the single community user; give it the requested password
        // so clients must authenticate exactly as against a production server.
        dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                "ALTER USER neo4j IF EXISTS SET PASSWORD $pw CHANGE NOT REQUIRED",
                Map.of("pw", password));

        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            stop.countDown();
        }, "kgmed-neo4j-shutdown"));
        System.out.println("KGMED-NEO4J-READY bolt://127.0.0.1:" + port);
        System.out.flush();
        stop.await();
    }

    private static Map<String, String> parse(String[] args) {
        java.util.HashMap<String, String> out = new java.util.HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument: " + args[i]);
            }
            out.put(args[i], args[i + 1]);
        }
        if (args.length % 2 != 0) {
            throw new IllegalArgumentException("option without value: " + args[args.length - 1]);
        }
        return out;
    }
}
