import { servePlayerFrame } from '@reprise/player';

// The session page's player runs here, in a frame on the replay origin, which the viewer's login
// cookie never goes to (see FramedPlayer and the collector's /replay-frame.html route).
servePlayerFrame();
