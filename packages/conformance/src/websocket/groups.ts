/**
 * The groups of the WebSocket server suite, numbered and named as Autobahn|Testsuite's, plus the
 * kit's: 0 for the opening handshake and 14 for resource limits Autobahn does not cover.
 */
const NAMES: Record<string, string> = {
  '0': '0 Opening handshake',
  '1': '1 Framing',
  '2': '2 Pings/Pongs',
  '3': '3 Reserved Bits',
  '4': '4 Opcodes',
  '5': '5 Fragmentation',
  '6': '6 UTF-8 Handling',
  '7': '7 Close Handling',
  '9': '9 Limits/Performance',
  '10': '10 Misc',
  '12': '12 WebSocket Compression (different payloads)',
  '13': '13 WebSocket Compression (different parameters)',
  '14': '14 Resource limits and refusals (beyond Autobahn)',
};

/** The group's name from its number ("6" -> "6 UTF-8 Handling"). */
export function groupName(number: string): string {
  return NAMES[number] ?? `${number} Other`;
}
