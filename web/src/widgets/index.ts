// One script tag for every qplay widget:
//   <script type="module" src="https://your.site/qplay/assets/qplay-widgets.js"></script>
//   <qplay-affine></qplay-affine>
// Each element loads its model (default: the bundled CNN) into a worker of its own page.
import '../ui/app';
import './affine-widget';
import './backend-diff-widget';
import './cle-widget';
import './fake-quant-widget';
import './histogram-ranges-widget';
import './per-channel-widget';
import './qdq-graph-widget';
