import type { ConnectionType, DeviceType } from '../../src/streaming/types.js';

/**
 * The session rules on the spec ladder, connection x device x bandwidth (kbps) → initial profile.
 * A profile fits when its bandwidth_estimate_kbps <= 0.8 x bandwidth (high needs 500, medium 312.5,
 * mobile 150); 2G caps at 96 kbps, 3G, phones and cars at 192; 0 means unknown (500 assumed).
 * Used by the unit test of chooseInitialProfile and, over HTTP, by the sessions end-to-end test.
 */
export const CHOICE_TABLE: [ConnectionType, DeviceType, number, string][] = [
    ['Wifi', 'Desktop', 1000, 'high'],
    ['Wifi', 'Desktop', 500, 'high'], // 400 <= 0.8 x 500 exactly
    ['Wifi', 'Desktop', 499, 'medium'],
    ['Wifi', 'Desktop', 400, 'medium'],
    ['Wifi', 'Desktop', 312, 'mobile'], // medium needs 312.5
    ['Wifi', 'Desktop', 200, 'mobile'],
    ['Wifi', 'Desktop', 100, 'mobile'], // nothing fits: the lowest
    ['Wifi', 'Desktop', 0, 'high'], // unknown: 500 assumed
    ['Ethernet', 'Desktop', 5000, 'high'],
    ['Ethernet', 'Tablet', 5000, 'high'],
    ['Wifi', 'SmartSpeaker', 600, 'high'], // a smart speaker on Wi-Fi may take high
    ['Wifi', 'SmartSpeaker', 300, 'mobile'],
    ['Wifi', 'Mobile', 5000, 'medium'], // device cap 192
    ['Wifi', 'CarAudio', 5000, 'medium'],
    ['Cellular4G', 'Tablet', 5000, 'high'],
    ['Cellular4G', 'Mobile', 5000, 'medium'],
    ['Cellular4G', 'CarAudio', 300, 'mobile'],
    ['Cellular3G', 'Desktop', 5000, 'medium'], // connection cap 192
    ['Cellular3G', 'Mobile', 150, 'mobile'],
    ['Cellular2G', 'Mobile', 5000, 'mobile'], // 2G gets mobile
    ['Cellular2G', 'SmartSpeaker', 50, 'mobile'],
    ['Cellular2G', 'Desktop', 0, 'mobile'],
    ['Unknown', 'Unknown', 1000, 'high'],
    ['Unknown', 'Unknown', 0, 'high'],
    ['Unknown', 'Mobile', 0, 'medium'],
];
