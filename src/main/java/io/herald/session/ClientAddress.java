package io.herald.session;

import io.herald.config.IpRange;
import io.vertx.core.MultiMap;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Who the client of a connection is, for the per-address limit and the session's recorded address: the TCP peer,
 * unless the peer is one of {@code trusted_proxies}; then the rightmost address of {@code X-Forwarded-For} that is
 * not itself a trusted proxy (each proxy appends the address it received the request from, so what lies left of the
 * last untrusted hop may have been written by the client and is never believed). The header is never read from any
 * other peer. Addresses are compared as literals only; nothing is ever resolved.
 */
public final class ClientAddress {

  private static final String FORWARDED_FOR = "X-Forwarded-For";

  private final List<IpRange> trustedProxies = new ArrayList<>();

  /** @param trustedProxies the validated {@code trusted_proxies} entries */
  public ClientAddress(List<String> trustedProxies) {
    for (String proxy : trustedProxies) {
      this.trustedProxies.add(IpRange.parse(proxy));
    }
  }

  /** The client's address in its canonical text form, or null when the peer is unknown. */
  public String of(SocketAddress peer, MultiMap headers) {
    if (peer == null || peer.hostAddress() == null) {
      return null;
    }
    InetAddress peerAddress = IpRange.literal(peer.hostAddress());
    if (peerAddress == null) {
      return peer.hostAddress();
    }
    if (!trusted(peerAddress) || headers == null) {
      return peerAddress.getHostAddress();
    }
    List<String> hops = new ArrayList<>();
    for (String header : headers.getAll(FORWARDED_FOR)) {
      for (String hop : header.split(",")) {
        hops.add(hop.trim());
      }
    }
    InetAddress leftmost = null;
    for (int i = hops.size() - 1; i >= 0; i--) {
      InetAddress hop = IpRange.literal(hops.get(i));
      if (hop == null) {
        // Not an address our proxy would write: nothing left of it can be told from what the client sent.
        return leftmost != null ? leftmost.getHostAddress() : peerAddress.getHostAddress();
      }
      if (!trusted(hop)) {
        return hop.getHostAddress();
      }
      leftmost = hop;
    }
    return leftmost != null ? leftmost.getHostAddress() : peerAddress.getHostAddress();
  }

  private boolean trusted(InetAddress address) {
    for (IpRange range : trustedProxies) {
      if (range.contains(address)) {
        return true;
      }
    }
    return false;
  }
}
