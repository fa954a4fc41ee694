package io.herald.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A test-owned TCP network between cluster members on loopback, which a test can cut for one member and heal: every
 * member binds an address of its own (127.x.y.z) and is reached by the others only through its listener here
 * ({@link #forward}), which forwards to the member's real port. A connection is refused, and an open one closed, when
 * its source address (the connecting member's, as it binds its outgoing sockets) or its target member is cut off
 * ({@link #isolate}): the member can reach nobody and nobody reaches it, both ways, as a real partition. Plain
 * blocking sockets, a thread per direction: meant for a few cluster connections, not for load.
 */
public final class PartitionProxy implements AutoCloseable {

  private final Set<String> isolated = ConcurrentHashMap.newKeySet();
  private final List<ServerSocket> listeners = new CopyOnWriteArrayList<>();
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /** One forwarded connection: the accepted socket and the one to the member, between two member addresses. */
  private record Link(String source, String target, Socket accepted, Socket upstream) {
    void close() {
      closeQuietly(accepted);
      closeQuietly(upstream);
    }
  }

  /**
   * Listens on {@code host} (the member's own address) at a free port and forwards every connection allowed to
   * {@code host:targetPort}.
   *
   * @return the port to give the other members as this member's address
   */
  public int forward(String host, int targetPort) throws IOException {
    ServerSocket listener = new ServerSocket();
    listener.setReuseAddress(true);
    listener.bind(new InetSocketAddress(InetAddress.getByName(host), 0), 50);
    listeners.add(listener);
    Thread acceptor = new Thread(() -> accept(listener, host, targetPort), "partition-proxy-" + host + ":" + targetPort);
    acceptor.setDaemon(true);
    acceptor.start();
    return listener.getLocalPort();
  }

  /** Cuts {@code host} off: closes every connection from or to it, and refuses new ones until {@link #heal}. */
  public void isolate(String host) {
    isolated.add(host);
    for (Link link : links) {
      if (cut(link.source(), link.target())) {
        links.remove(link);
        link.close();
      }
    }
  }

  /** Lets {@code host} reach and be reached again. */
  public void heal(String host) {
    isolated.remove(host);
  }

  /** How many forwarded connections are open now. */
  public int openLinks() {
    return links.size();
  }

  private boolean cut(String source, String target) {
    return isolated.contains(source) || isolated.contains(target);
  }

  private void accept(ServerSocket listener, String target, int targetPort) {
    while (!closed) {
      Socket accepted;
      try {
        accepted = listener.accept();
      } catch (IOException e) {
        return; // closed
      }
      String source = accepted.getInetAddress().getHostAddress();
      if (cut(source, target)) {
        closeQuietly(accepted);
        continue;
      }
      Socket upstream = new Socket();
      try {
        upstream.connect(new InetSocketAddress(InetAddress.getByName(target), targetPort), 2000);
      } catch (IOException e) {
        closeQuietly(accepted);
        closeQuietly(upstream);
        continue;
      }
      Link link = new Link(source, target, accepted, upstream);
      links.add(link);
      // Cut between the check and the registration: isolate() did not see this link, so close it here.
      if (cut(source, target)) {
        links.remove(link);
        link.close();
        continue;
      }
      pump(link, accepted, upstream, "up");
      pump(link, upstream, accepted, "down");
    }
  }

  private void pump(Link link, Socket from, Socket to, String direction) {
    Thread thread = new Thread(() -> {
      byte[] buffer = new byte[64 * 1024];
      try (InputStream in = from.getInputStream()) {
        OutputStream out = to.getOutputStream();
        int n;
        while ((n = in.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
        }
      } catch (IOException e) {
        // closed by isolate(), by either end, or by close()
      } finally {
        links.remove(link);
        link.close();
      }
    }, "partition-proxy-" + link.source() + "->" + link.target() + "-" + direction);
    thread.setDaemon(true);
    thread.start();
  }

  /** Stops listening and closes every connection. */
  @Override
  public void close() {
    closed = true;
    listeners.forEach(PartitionProxy::closeQuietly);
    links.forEach(Link::close);
    links.clear();
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      // closing anyway
    }
  }
}
