package io.herald.socket.bridge;

import io.herald.auth.AuthenticatedUser;
import io.herald.config.AccessOptions;
import io.herald.model.Addresses;
import io.herald.model.Ids;
import io.herald.session.TopicPolicy;
import java.util.List;

/**
 * The addresses a bridge socket may use. Outbound (REGISTER, and every message written to the socket): exactly the
 * user's own address, its tenant's broadcast address and the addresses of topics it may join. Inbound (SEND): only
 * the client API addresses. Decisions compare whole addresses, never patterns, so no other user's address (a user
 * id may contain dots: {@code u1} must not reach {@code u1.x}) and no other tenant's address can pass.
 */
final class BridgeAddresses {

  static final String PING = "herald.client.ping";
  static final String STATUS = "herald.client.status";
  static final String UNREAD = "herald.client.unread";
  static final String MARK_READ = "herald.client.markRead";
  static final String SUBSCRIBE = "herald.client.subscribe";
  static final String RESUME = "herald.client.resume";

  /** Every client API address: the only addresses a client may send to. */
  static final List<String> CLIENT_API = List.of(PING, STATUS, UNREAD, MARK_READ, SUBSCRIBE, RESUME);

  private BridgeAddresses() {
  }

  static boolean isClientApi(String address) {
    return CLIENT_API.contains(address);
  }

  /** Whether {@code user} may register (and receive messages on) {@code address}. */
  static boolean mayReceive(AccessOptions access, AuthenticatedUser user, String address) {
    if (address.equals(Addresses.user(user.tenant(), user.userId())) || address.equals(Addresses.broadcast(user.tenant()))) {
      return true;
    }
    String topic = topicOf(user.tenant(), address);
    return topic != null && TopicPolicy.allows(access, user, topic);
  }

  /**
   * The topic of a topic address of the tenant, or null when {@code address} is not one (or names an invalid topic).
   * The tenant cannot contain a dot, so the prefix {@code herald.topic.<tenant>.} is unambiguous.
   */
  static String topicOf(String tenant, String address) {
    String prefix = Addresses.topic(tenant, "");
    if (!address.startsWith(prefix)) {
      return null;
    }
    String topic = address.substring(prefix.length());
    return Ids.isValidTopic(topic) ? topic : null;
  }
}
