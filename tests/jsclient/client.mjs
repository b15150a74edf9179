// A Matrix member at Element's own SDK (matrix-js-sdk with its Rust crypto), for prevnet's tests.
//
// One process per test user. The Python tests write one JSON command a line on stdin
// ({"id": 1, "cmd": "login", ...}) and read one JSON answer a line on stdout
// ({"id": 1, "ok": true, "result": {...}} or {"id": 1, "ok": false, "error": "..."}).
// Everything else (the SDK's own logging, errors) goes to stderr. The process ends when stdin
// closes, so a test that dies leaves no node process behind.

import { createInterface } from "node:readline";

// Keep stdout for answers only: the SDK logs through console.* and some of it would go there.
const answerOut = process.stdout.write.bind(process.stdout);
for (const name of ["log", "info", "debug", "trace"]) {
  console[name] = (...args) => console.error(...args);
}

// Debian bookworm's own nodejs is 18, whose Web Crypto is not global yet (Node 20's is).
if (!globalThis.crypto) {
  globalThis.crypto = (await import("node:crypto")).webcrypto;
}

const sdk = await import("matrix-js-sdk");
const { logger } = await import("matrix-js-sdk/lib/logger.js");
logger.setLevel(process.env.JSCLIENT_LOG_LEVEL ?? "error");

const DEFAULT_TIMEOUT = 30;
const MAX_TIMEOUT = 300;

/** @type {import("matrix-js-sdk").MatrixClient | null} */
let client = null;
const waiters = new Set(); // functions called on every new or decrypted event

function fail(message) {
  throw new Error(message);
}

function seconds(value) {
  const given = value === undefined || value === null ? DEFAULT_TIMEOUT : Number(value);
  if (!Number.isFinite(given) || given <= 0) fail(`timeout must be a positive number of seconds, not ${value}`);
  return Math.min(given, MAX_TIMEOUT);
}

function needClient() {
  if (client === null) fail("not logged in: send a login command first");
  return client;
}

function needString(command, field) {
  const value = command[field];
  if (typeof value !== "string" || value === "") fail(`${command.cmd} needs a non-empty string "${field}"`);
  return value;
}

/** Resolve when ``check`` returns a value other than undefined, re-checked on every event. */
function waitUntil(check, timeoutSeconds, describe) {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (fn, value) => {
      if (done) return;
      done = true;
      waiters.delete(probe);
      clearInterval(poll);
      clearTimeout(timer);
      fn(value);
    };
    let checking = false; // one check at a time; an event during it asks for one more
    let again = false;
    const probe = () => {
      if (done) return;
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      Promise.resolve()
        .then(check)
        .then(
          (value) => {
            checking = false;
            if (value !== undefined) finish(resolve, value);
            else if (again) {
              again = false;
              probe();
            }
          },
          (error) => {
            checking = false;
            finish(reject, error);
          },
        );
    };
    const timer = setTimeout(
      () => finish(reject, new Error(`timed out after ${timeoutSeconds} s waiting for ${describe()}`)),
      timeoutSeconds * 1000,
    );
    const poll = setInterval(probe, 250); // decryption can finish without an event we listen to
    waiters.add(probe);
    probe();
  });
}

function notifyWaiters() {
  for (const probe of waiters) probe();
}

async function login(command) {
  if (client !== null) fail("already logged in");
  const baseUrl = needString(command, "homeserver");
  const user = needString(command, "user");
  const password = needString(command, "password");
  const anonymous = sdk.createClient({ baseUrl });
  let session;
  try {
    session = await anonymous.login("m.login.password", {
      identifier: { type: "m.id.user", user },
      password,
      device_id: command.device_id ?? undefined,
      initial_device_display_name: command.device_name ?? "jsclient (matrix-js-sdk)",
    });
  } catch (error) {
    fail(`could not log in ${user} at ${baseUrl}: ${error?.message ?? error}`);
  }
  client = sdk.createClient({
    baseUrl,
    userId: session.user_id,
    deviceId: session.device_id,
    accessToken: session.access_token,
    timelineSupport: true,
  });
  await client.initRustCrypto({ useIndexedDB: false });
  for (const name of [sdk.RoomEvent.Timeline, sdk.MatrixEventEvent.Decrypted, sdk.RoomMemberEvent.Membership]) {
    client.on(name, notifyWaiters);
  }
  let firstSync;
  const prepared = new Promise((resolve, reject) => {
    client.on(sdk.ClientEvent.Sync, (state, _previous, data) => {
      if (state === "PREPARED" || state === "SYNCING") resolve();
      if (state === "ERROR") console.error(`jsclient: sync error: ${data?.error?.message ?? state}`);
      notifyWaiters();
    });
    firstSync = setTimeout(() => reject(new Error("the first sync did not finish within 60 s")), 60_000);
  });
  await client.startClient({ initialSyncLimit: 30, lazyLoadMembers: false });
  try {
    await prepared;
  } finally {
    clearTimeout(firstSync);
  }
  // Our device keys must be on the server before anyone encrypts for us.
  const me = session.user_id;
  const crypto = client.getCrypto();
  await waitUntil(
    async () => {
      const devices = await crypto.getUserDeviceInfo([me], true);
      return devices.get(me)?.has(session.device_id) ? true : undefined;
    },
    seconds(command.timeout),
    () => `our own device ${session.device_id} to appear in the key server`,
  );
  return { user_id: me, device_id: session.device_id };
}

function bodyOf(event) {
  const content = event.getContent();
  return typeof content.body === "string" ? content.body : "";
}

function matches(event, command) {
  if (command.event_id && event.getId() !== command.event_id) return false;
  if (command.sender && event.getSender() !== command.sender) return false;
  if (command.type && event.getType() !== command.type) return false;
  if (command.contains && !bodyOf(event).includes(command.contains)) return false;
  const wanted = command.undecryptable ? ["m.room.message", "m.room.encrypted"] : ["m.room.message"];
  if (!command.type && !command.event_id && !wanted.includes(event.getType())) return false;
  return true;
}

async function senderDevice(crypto, event) {
  const sender = event.getSender();
  const senderKey = event.getSenderKey();
  const devices = (await crypto.getUserDeviceInfo([sender], true)).get(sender) ?? new Map();
  for (const device of devices.values()) {
    if (senderKey && device.getIdentityKey() === senderKey) return device.deviceId;
  }
  const claimed = event.getWireContent().device_id;
  return typeof claimed === "string" ? claimed : null;
}

async function describe(event) {
  const cli = needClient();
  const crypto = cli.getCrypto();
  const sender = event.getSender();
  const result = {
    event_id: event.getId(),
    room_id: event.getRoomId(),
    sender,
    type: event.getType(),
    body: bodyOf(event),
    content: event.getContent(),
    encrypted: event.isEncrypted(),
    decryption_failure: event.isDecryptionFailure() ? String(event.decryptionFailureReason ?? "unknown") : null,
    encryption_info: null,
    sender_device: null,
    device_verification: null,
    user_verification: null,
    sender_has_cross_signing_keys: null,
  };
  if (!event.isEncrypted()) return result;
  if (event.isDecryptionFailure()) return result;
  const info = await crypto.getEncryptionInfoForEvent(event);
  if (info) {
    result.encryption_info = {
      shieldColour: sdk.CryptoApi?.EventShieldColour?.[info.shieldColour] ?? shieldColourName(info.shieldColour),
      shieldReason: info.shieldReason === null ? null : shieldReasonName(info.shieldReason),
    };
  }
  result.sender_device = await senderDevice(crypto, event);
  if (result.sender_device) {
    const status = await crypto.getDeviceVerificationStatus(sender, result.sender_device);
    if (status) {
      result.device_verification = {
        signedByOwner: status.signedByOwner,
        crossSigningVerified: status.crossSigningVerified,
        localVerified: status.localVerified,
        isVerified: status.isVerified(),
      };
    }
  }
  const user = await crypto.getUserVerificationStatus(sender);
  result.user_verification = {
    isVerified: user.isVerified(),
    isCrossSigningVerified: user.isCrossSigningVerified(),
    wasCrossSigningVerified: user.wasCrossSigningVerified(),
    needsUserApproval: user.needsUserApproval,
  };
  result.sender_has_cross_signing_keys = await crypto.userHasCrossSigningKeys(sender, true);
  return result;
}

const SHIELD_COLOURS = ["NONE", "GREY", "RED"];
const SHIELD_REASONS = [
  "UNKNOWN",
  "UNVERIFIED_IDENTITY",
  "UNSIGNED_DEVICE",
  "UNKNOWN_DEVICE",
  "AUTHENTICITY_NOT_GUARANTEED",
  "MISMATCHED_SENDER_KEY",
  "SENT_IN_CLEAR",
  "VERIFICATION_VIOLATION",
];

function shieldColourName(value) {
  return SHIELD_COLOURS[value] ?? String(value);
}

function shieldReasonName(value) {
  return SHIELD_REASONS[value] ?? String(value);
}

function roomsToSearch(cli, roomId) {
  if (!roomId) return cli.getRooms();
  const room = cli.getRoom(roomId);
  return room ? [room] : [];
}

async function waitForEvent(command) {
  const cli = needClient();
  const timeout = seconds(command.timeout);
  const skip = new Set(command.except ?? []);
  const seen = () =>
    roomsToSearch(cli, command.room)
      .flatMap((room) => room.getLiveTimeline().getEvents())
      .filter((event) => !skip.has(event.getId()));
  const event = await waitUntil(
    async () => {
      for (const candidate of seen()) {
        if (candidate.isBeingDecrypted() || candidate.shouldAttemptDecryption()) continue;
        // its key may still come: an undecryptable event matches only when asked for
        if (candidate.isDecryptionFailure() && !command.undecryptable) continue;
        if (matches(candidate, command)) return candidate;
      }
      return undefined;
    },
    timeout,
    () => {
      const got = seen().map((e) => `${e.getType()} from ${e.getSender()}: ${bodyOf(e).slice(0, 80) || (e.isDecryptionFailure() ? "(undecryptable)" : "")}`);
      const { room, sender, contains, type, event_id } = command;
      const wanted = JSON.stringify({ room, sender, contains, type, event_id });
      return `an event matching ${wanted}; the room(s) hold: ${JSON.stringify(got.slice(-15))}`;
    },
  );
  return describe(event);
}

async function waitForInvite(command) {
  const cli = needClient();
  const room = await waitUntil(
    () =>
      cli.getRooms().find((r) => {
        if (r.getMyMembership() !== "invite") return false;
        if (!command.inviter) return true;
        return r.getMember(cli.getUserId())?.events.member?.getSender() === command.inviter;
      }),
    seconds(command.timeout),
    () => `an invitation${command.inviter ? ` from ${command.inviter}` : ""}`,
  );
  await cli.joinRoom(room.roomId);
  return { room_id: room.roomId };
}

async function join(command) {
  const cli = needClient();
  const target = needString(command, "room");
  const room = await cli.joinRoom(target);
  await waitUntil(
    () => (cli.getRoom(room.roomId)?.getMyMembership() === "join" ? true : undefined),
    seconds(command.timeout),
    () => `our join of ${target} to come down the sync`,
  );
  return { room_id: room.roomId };
}

async function knownRoom(cli, roomId, timeout) {
  return waitUntil(
    () => (cli.getRoom(roomId)?.getMyMembership() === "join" ? cli.getRoom(roomId) : undefined),
    timeout,
    () => `room ${roomId} to be joined in our sync`,
  );
}

async function sendText(command) {
  const cli = needClient();
  const roomId = needString(command, "room");
  const text = needString(command, "text");
  const room = await knownRoom(cli, roomId, seconds(command.timeout));
  if (!cli.isRoomEncrypted(room.roomId) && !command.allow_clear) {
    fail(`room ${roomId} is not encrypted: pass allow_clear to send in the clear`);
  }
  const sent = await cli.sendTextMessage(roomId, text);
  return { event_id: sent.event_id };
}

async function react(command) {
  const cli = needClient();
  const roomId = needString(command, "room");
  const eventId = needString(command, "event_id");
  const key = needString(command, "key");
  await knownRoom(cli, roomId, seconds(command.timeout));
  const sent = await cli.sendEvent(roomId, "m.reaction", {
    "m.relates_to": { rel_type: "m.annotation", event_id: eventId, key },
  });
  return { event_id: sent.event_id };
}

async function stop() {
  if (client !== null) {
    client.stopClient();
    client = null;
  }
  return {};
}

const COMMANDS = {
  login,
  wait_for_event: waitForEvent,
  wait_for_invite: waitForInvite,
  join,
  send_text: sendText,
  react,
  stop,
};

function answer(message) {
  answerOut(JSON.stringify(message) + "\n");
}

async function handle(line) {
  let command;
  try {
    command = JSON.parse(line);
  } catch {
    console.error(`jsclient: not a JSON line, ignored: ${line.slice(0, 200)}`);
    answer({ id: null, ok: false, error: "not a JSON line" });
    return;
  }
  const id = command.id ?? null;
  const run = COMMANDS[command.cmd];
  if (!run) {
    answer({ id, ok: false, error: `unknown command ${JSON.stringify(command.cmd)}; known: ${Object.keys(COMMANDS).join(", ")}` });
    return;
  }
  let timer;
  const given = Number(command.timeout);
  const own = Number.isFinite(given) && given > 0 ? Math.min(given, MAX_TIMEOUT) : DEFAULT_TIMEOUT;
  const limit = command.cmd === "login" ? 60 + own : own + 5; // the command's own wait, then some
  const overdue = new Promise((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${command.cmd} took more than ${limit} s`)), limit * 1000);
  });
  try {
    answer({ id, ok: true, result: await Promise.race([run(command), overdue]) });
  } catch (error) {
    const message = error?.message ?? String(error);
    console.error(`jsclient: ${command.cmd} failed: ${message}`);
    answer({ id, ok: false, error: message });
  } finally {
    clearTimeout(timer);
  }
  if (command.cmd === "stop") shutdown(0);
}

function shutdown(code) {
  try {
    client?.stopClient();
  } finally {
    process.exit(code);
  }
}

process.on("unhandledRejection", (reason) => {
  console.error(`jsclient: unhandled rejection: ${reason?.stack ?? reason}`);
});

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (line.trim()) handle(line);
});
lines.on("close", () => shutdown(0)); // the test went away: so do we
answer({ id: null, ok: true, result: { ready: true, sdk: "matrix-js-sdk", node: process.version } });
