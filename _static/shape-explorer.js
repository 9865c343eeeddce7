/* Shape explorer: what a Keras recurrent layer, or a stack of layers, returns.
 *
 * Plain JavaScript, no library, no network. The rules mirror the companion package
 * (companion/shapes.py: rnn_output_shape, count_params; companion/stack/predict.py:
 * predict_stack and its problem messages; companion/conv_shapes.py: convlstm_output_shape,
 * convlstm_count_params); tests/test_explorer.py compares them combination by combination. Shapes are arrays with null for None; a layer that
 * returns several tensors gives an array of shapes, as the companion gives a tuple.
 * window.ShapeRules exposes the rules; the page's controls live in #shape-explorer.
 */
(function () {
  "use strict";

  // ------------------------------------------------------------------ the rules

  var WEIGHT_BLOCKS = { SimpleRNN: 1, GRU: 3, LSTM: 4 };
  var STATES = { SimpleRNN: 1, GRU: 1, LSTM: 2 };
  var RECURRENT = ["LSTM", "GRU", "SimpleRNN"];
  var MERGE_MODES = ["concat", "sum", "mul", "ave", null];
  var POOLING = ["GlobalAveragePooling1D", "GlobalMaxPooling1D"];

  function isRecurrent(kind) { return RECURRENT.indexOf(kind) >= 0; }

  /* companion.rnn_output_shape */
  function rnnOutputShape(inputShape, units, options) {
    var o = options || {};
    var layer = o.layer || "LSTM";
    var batch = inputShape[0], steps = inputShape[1];
    var mergeMode = o.merge_mode === undefined ? "concat" : o.merge_mode;
    function output(width) {
      return o.return_sequences ? [batch, steps, width] : [batch, width];
    }
    var state = [batch, units];
    var shapes, states = [], i;
    var count = STATES[layer];
    if (!o.bidirectional) {
      shapes = [output(units)];
    } else {
      if (mergeMode === null) {
        shapes = [output(units), output(units)];
      } else {
        shapes = [output(mergeMode === "concat" ? 2 * units : units)];
      }
      count = 2 * count;
    }
    for (i = 0; i < count; i++) { states.push(state.slice()); }
    if (o.return_state) { shapes = shapes.concat(states); }
    return shapes.length === 1 ? shapes[0] : shapes;
  }

  /* companion.count_params */
  function countParams(features, units, options) {
    var o = options || {};
    var layer = o.layer || "LSTM";
    var useBias = o.use_bias === undefined ? true : o.use_bias;
    var resetAfter = o.reset_after === undefined ? true : o.reset_after;
    var biases = 0;
    if (useBias) { biases = (layer === "GRU" && resetAfter) ? 2 : 1; }
    var perBlock = units * (features + units + biases);
    var total = WEIGHT_BLOCKS[layer] * perBlock;
    return o.bidirectional ? 2 * total : total;
  }

  /* Python's repr of a shape or a tuple of shapes: (None, 10, 4), ((None, 4), (None, 4)) */
  function pyRepr(value) {
    if (value === null) { return "None"; }
    if (Array.isArray(value)) {
      var items = value.map(pyRepr);
      return "(" + items.join(", ") + (items.length === 1 ? "," : "") + ")";
    }
    return String(value);
  }

  function label(spec) {
    if (isRecurrent(spec.layer) && spec.bidirectional) { return "Bidirectional(" + spec.layer + ")"; }
    if (spec.layer === "TimeDistributed") { return "TimeDistributed(Dense)"; }
    return spec.layer;
  }

  function Problem(message) { this.message = message; }

  function source(before) {
    for (var i = before.length; i > 0; i--) {
      if (before[i - 1].layer !== "Dropout") { return { index: i, spec: before[i - 1] }; }
    }
    return null;
  }

  function needsSequences(before) {
    var s = source(before);
    if (s !== null && isRecurrent(s.spec.layer)) {
      return "set return_sequences=True on layer " + s.index + " (" + label(s.spec) + ")";
    }
    return "this layer needs a timesteps axis: put RepeatVector(n) before it to repeat " +
      "each vector n times";
  }

  function needsVector(before) {
    var s = source(before);
    if (s !== null && isRecurrent(s.spec.layer)) {
      return "set return_sequences=False on layer " + s.index + " (" + label(s.spec) + ")";
    }
    return "RepeatVector repeats one vector per sample: put Flatten() or a recurrent " +
      "layer with return_sequences=False before it";
  }

  /* The fix when the ids reaching an Embedding had an extra axis (companion _squeeze_ids). */
  function squeezeIds(before) {
    var s = source(before);
    if (s === null || s.spec.layer !== "Embedding") { return null; }
    return "the ids reaching the Embedding (layer " + s.index + ") have an extra axis, so " +
      "it returns 4-D: give it ids shaped (batch_size, timesteps), for example x[..., 0] " +
      "for ids shaped (batch_size, timesteps, 1), and declare keras.Input(shape=(timesteps,))";
  }

  function needs3d(current, before) {
    return new Problem("expected 3-D input (batch_size, timesteps, features), got " +
      pyRepr(current) + ": " + needsSequences(before));
  }

  function knownFeatures(shape) {
    var last = shape[shape.length - 1];
    if (last === null) {
      throw new Problem("the last axis (features) of the input must be known, got " +
        pyRepr(shape) + ": a Flatten over an unknown number of timesteps gives an " +
        "unknown size; give keras.Input a fixed number of timesteps");
    }
    return last;
  }

  function withDefaults(spec) {
    var s = {};
    for (var key in spec) { if (Object.prototype.hasOwnProperty.call(spec, key)) { s[key] = spec[key]; } }
    if (isRecurrent(s.layer)) {
      if (s.return_sequences === undefined) { s.return_sequences = false; }
      if (s.bidirectional === undefined) { s.bidirectional = false; }
      if (s.merge_mode === undefined) { s.merge_mode = "concat"; }
      if (s.use_bias === undefined) { s.use_bias = true; }
      if (s.reset_after === undefined) { s.reset_after = true; }
    } else if (s.layer === "Dense" || s.layer === "TimeDistributed") {
      if (s.use_bias === undefined) { s.use_bias = true; }
    } else if (s.layer === "Embedding") {
      if (s.mask_zero === undefined) { s.mask_zero = false; }
    }
    return s;
  }

  function predictLayer(spec, current, before) {
    var several = current.length > 0 && Array.isArray(current[0]);
    var kind = spec.layer;
    if (kind === "Dropout") { return [current, 0]; }
    if (several) {
      throw new Problem("expected one input tensor, got " + current.length + " " +
        pyRepr(current) + " from a Bidirectional layer with merge_mode=None: set " +
        "merge_mode=\"concat\" (or \"sum\", \"mul\", \"ave\") on that layer");
    }
    if (kind === "Embedding") {
      // One vector of output_dim numbers per id: the ids' shape gains a last axis.
      return [current.concat([spec.output_dim]), spec.input_dim * spec.output_dim];
    }
    if (isRecurrent(kind)) {
      if (current.length > 3 && squeezeIds(before) !== null) {
        throw new Problem("got " + current.length + "-D input " + pyRepr(current) +
          " where 3-D (batch_size, timesteps, features) is expected: " + squeezeIds(before));
      }
      if (current.length !== 3) { throw needs3d(current, before); }
      knownFeatures(current);
      var shape = rnnOutputShape(current, spec.units, {
        layer: kind, return_sequences: spec.return_sequences,
        bidirectional: spec.bidirectional, merge_mode: spec.merge_mode });
      return [shape, countParams(current[2], spec.units, {
        layer: kind, bidirectional: spec.bidirectional, use_bias: spec.use_bias,
        reset_after: spec.reset_after })];
    }
    if (kind === "Dense" || kind === "TimeDistributed") {
      if (kind === "TimeDistributed" && current.length < 3) { throw needs3d(current, before); }
      var features = knownFeatures(current);
      var params = features * spec.units + (spec.use_bias ? spec.units : 0);
      return [current.slice(0, -1).concat([spec.units]), params];
    }
    if (kind === "RepeatVector") {
      if (current.length !== 2) {
        throw new Problem("expected 2-D input (batch_size, features), got " +
          pyRepr(current) + ": " + needsVector(before));
      }
      return [[current[0], spec.n, current[1]], 0];
    }
    if (kind === "Flatten") {
      var rest = current.slice(1), flat = 1;
      for (var i = 0; i < rest.length; i++) {
        flat = (flat === null || rest[i] === null) ? null : flat * rest[i];
      }
      return [[current[0], flat], 0];
    }
    if (POOLING.indexOf(kind) >= 0) {
      // Not in companion.predict_stack: checked against Keras in tests/test_explorer.py.
      if (current.length !== 3) { throw needs3d(current, before); }
      return [[current[0], current[2]], 0];
    }
    throw new Error("unknown layer kind " + kind);
  }

  /* companion.predict_stack: {rows: [{index, layer, output_shape, params, problem}],
   * ok, total_params, output_shape, problem}. With an Embedding first the input is
   * integer ids: (batch_size, timesteps), or (timesteps,) as keras.Input takes it. */
  function predictStack(inputShape, layers) {
    var specs = layers.map(withDefaults);
    var ids = specs.length > 0 && specs[0].layer === "Embedding";
    var current = inputShape.length === (ids ? 1 : 2) ? [null].concat(inputShape) : inputShape.slice();
    specs.forEach(function (spec, i) {
      if (i > 0 && spec.layer === "Embedding") {
        throw new Error("expected an Embedding only as the first layer, got one as layer " + (i + 1));
      }
    });
    var rows = [], failed = false;
    specs.forEach(function (spec, i) {
      var index = i + 1;
      if (failed) {
        rows.push({ index: index, layer: label(spec), output_shape: null, params: null, problem: null });
        return;
      }
      try {
        var result = predictLayer(spec, current, specs.slice(0, i));
        current = result[0];
        rows.push({ index: index, layer: label(spec), output_shape: current, params: result[1], problem: null });
      } catch (error) {
        if (!(error instanceof Problem)) { throw error; }
        rows.push({ index: index, layer: label(spec), output_shape: null, params: null, problem: error.message });
        failed = true;
      }
    });
    var failing = rows.filter(function (r) { return r.problem !== null; })[0];
    var ok = !failing;
    return {
      rows: rows,
      ok: ok,
      total_params: ok ? rows.reduce(function (sum, r) { return sum + r.params; }, 0) : null,
      output_shape: ok && rows.length ? rows[rows.length - 1].output_shape : null,
      problem: failing ? "layer " + failing.index + " (" + failing.layer + ") fails: " + failing.problem : null
    };
  }

  // ---- convolutional recurrent layers (companion/conv_shapes.py)

  /* An integer for every spatial axis, or an array with one per axis, as Keras takes them. */
  function perAxis(value, rank) {
    if (Array.isArray(value)) {
      if (value.length !== rank) { throw new Error("expected " + rank + " value(s), got " + pyRepr(value)); }
      return value.slice();
    }
    var out = [];
    for (var i = 0; i < rank; i++) { out.push(value); }
    return out;
  }

  function largest(values) { return Math.max.apply(null, values); }

  /* companion.convlstm_output_shape: input (batch_size, timesteps, *spatial, channels), or
   * (batch_size, timesteps, channels, *spatial) with data_format "channels_first". The
   * problems Keras refuses (strides and dilation_rate both above 1, a frame smaller than
   * the kernel's reach with padding "valid") throw a Problem worded as the companion's. */
  function convlstmOutputShape(inputShape, filters, kernelSize, options) {
    var o = options || {};
    var rank = o.rank === undefined ? 2 : o.rank;
    if (inputShape.length !== rank + 3) {
      throw new Error("expected a " + (rank + 3) + "-D input shape, got " + pyRepr(inputShape));
    }
    var first = o.data_format === "channels_first";
    var padding = (o.padding === undefined ? "valid" : o.padding).toLowerCase();
    var kernel = perAxis(kernelSize, rank);
    var strides = perAxis(o.strides === undefined ? 1 : o.strides, rank);
    var dilation = perAxis(o.dilation_rate === undefined ? 1 : o.dilation_rate, rank);
    if (largest(strides) > 1 && largest(dilation) > 1) {
      throw new Problem("expected strides or dilation_rate to be 1, got strides=" + pyRepr(strides) +
        " and dilation_rate=" + pyRepr(dilation) + ": Keras refuses both above 1; keep one of them at 1");
    }
    var spatial = first ? inputShape.slice(3) : inputShape.slice(2, -1);
    var out = spatial.map(function (size, i) {
      if (padding === "same") { return Math.floor((size - 1) / strides[i]) + 1; }
      var reach = dilation[i] * (kernel[i] - 1) + 1;
      if (reach > size) {
        throw new Problem("expected each spatial size to be at least the kernel's reach " +
          "(dilation_rate * (kernel_size - 1) + 1 = " + reach + ") with padding='valid', got " +
          "input_shape " + pyRepr(inputShape) + ": use padding='same', a smaller kernel_size " +
          "or larger frames");
      }
      return Math.floor((size - reach) / strides[i]) + 1;
    });
    var frame = first ? [filters].concat(out) : out.concat([filters]);
    var state = [inputShape[0]].concat(frame);
    var output = o.return_sequences ? [inputShape[0], inputShape[1]].concat(frame) : state;
    return o.return_state ? [output, state, state.slice()] : output;
  }

  /* companion.convlstm_count_params: four weight blocks, each an input kernel, a recurrent
   * kernel over the hidden state (the same window) and a bias. */
  function convlstmCountParams(inputChannels, filters, kernelSize, options) {
    var o = options || {};
    var kernel = perAxis(kernelSize, o.rank === undefined ? 2 : o.rank);
    var window = kernel.reduce(function (product, k) { return product * k; }, 1);
    var useBias = o.use_bias === undefined ? true : o.use_bias;
    return WEIGHT_BLOCKS.LSTM * filters * (window * (inputChannels + filters) + (useBias ? 1 : 0));
  }

  // ------------------------------------------------------------------ Keras code

  function pyValue(value) {
    if (value === null) { return "None"; }
    if (value === true) { return "True"; }
    if (value === false) { return "False"; }
    if (typeof value === "string") { return "\"" + value + "\""; }
    return String(value);
  }

  function recurrentCall(kind, units, flags) {
    var args = [String(units)];
    if (flags.return_sequences) { args.push("return_sequences=True"); }
    if (flags.return_state) { args.push("return_state=True"); }
    if (flags.use_bias === false) { args.push("use_bias=False"); }
    if (kind === "GRU" && flags.reset_after === false) { args.push("reset_after=False"); }
    var call = "keras.layers." + kind + "(" + args.join(", ") + ")";
    if (flags.bidirectional) {
      call = "keras.layers.Bidirectional(" + call +
        (flags.merge_mode === "concat" ? "" : ", merge_mode=" + pyValue(flags.merge_mode)) + ")";
    }
    return call;
  }

  function inputCall(inputShape) {
    var batch = inputShape[0];
    return "keras.Input(shape=" + pyRepr(inputShape.slice(1)) + (batch === null ? "" : ", batch_size=" + batch) + ")";
  }

  /* The names of the tensors a layer returns, in Keras's order. */
  function tensorNames(kind, flags) {
    var outputs = ["outputs"], states = STATES[kind] === 2 ? ["state_h", "state_c"] : ["state_h"];
    if (flags.bidirectional) {
      if (flags.merge_mode === null) { outputs = ["forward_outputs", "backward_outputs"]; }
      var fw = states.map(function (s) { return "forward_" + s.replace("state_", ""); });
      var bw = states.map(function (s) { return "backward_" + s.replace("state_", ""); });
      states = fw.concat(bw);
    }
    return flags.return_state ? outputs.concat(states) : outputs;
  }

  function layerCode(inputShape, kind, units, flags) {
    var names = tensorNames(kind, flags);
    return [
      "import keras",
      "",
      "inputs = " + inputCall(inputShape),
      "layer = " + recurrentCall(kind, units, flags),
      names.join(", ") + " = layer(inputs)"
    ].join("\n");
  }

  function stackLayerCall(spec) {
    switch (spec.layer) {
      case "Dense": return "keras.layers.Dense(" + spec.units + (spec.use_bias === false ? ", use_bias=False" : "") + ")";
      case "TimeDistributed": return "keras.layers.TimeDistributed(keras.layers.Dense(" + spec.units + "))";
      case "RepeatVector": return "keras.layers.RepeatVector(" + spec.n + ")";
      case "Flatten": return "keras.layers.Flatten()";
      case "Dropout": return "keras.layers.Dropout(" + (spec.rate === undefined ? 0.5 : spec.rate) + ")";
      case "Embedding": return "keras.layers.Embedding(" + spec.input_dim + ", " + spec.output_dim +
        (spec.mask_zero ? ", mask_zero=True" : "") + ")";
      default:
        if (POOLING.indexOf(spec.layer) >= 0) { return "keras.layers." + spec.layer + "()"; }
        return recurrentCall(spec.layer, spec.units, withDefaults(spec));
    }
  }

  function stackCode(inputShape, layers) {
    var lines = ["import keras", "", "model = keras.Sequential(["];
    lines.push("    " + inputCall(inputShape) + ",");
    layers.forEach(function (spec) { lines.push("    " + stackLayerCall(spec) + ","); });
    lines.push("])");
    return lines.join("\n");
  }

  /* kernel_size=3 when every axis agrees, kernel_size=(3, 2) when not. */
  function axisArg(values) {
    return values.every(function (v) { return v === values[0]; }) ? String(values[0]) : pyRepr(values);
  }

  function convlstmCode(inputShape, filters, kernelSize, options) {
    var o = options || {};
    var rank = o.rank === undefined ? 2 : o.rank;
    var args = [String(filters), axisArg(perAxis(kernelSize, rank))];
    var strides = perAxis(o.strides === undefined ? 1 : o.strides, rank);
    var dilation = perAxis(o.dilation_rate === undefined ? 1 : o.dilation_rate, rank);
    if (largest(strides) > 1) { args.push("strides=" + axisArg(strides)); }
    if (o.padding && o.padding !== "valid") { args.push("padding=" + pyValue(o.padding)); }
    if (o.data_format === "channels_first") { args.push("data_format=\"channels_first\""); }
    if (largest(dilation) > 1) { args.push("dilation_rate=" + axisArg(dilation)); }
    if (o.use_bias === false) { args.push("use_bias=False"); }
    if (o.return_sequences) { args.push("return_sequences=True"); }
    if (o.return_state) { args.push("return_state=True"); }
    return [
      "import keras",
      "",
      "inputs = " + inputCall(inputShape),
      "layer = keras.layers.ConvLSTM" + rank + "D(" + args.join(", ") + ")",
      (o.return_state ? "outputs, state_h, state_c" : "outputs") + " = layer(inputs)"
    ].join("\n");
  }

  window.ShapeRules = {
    rnnOutputShape: rnnOutputShape,
    countParams: countParams,
    predictStack: predictStack,
    pyRepr: pyRepr,
    layerCode: layerCode,
    stackCode: stackCode,
    tensorNames: tensorNames,
    convlstmOutputShape: convlstmOutputShape,
    convlstmCountParams: convlstmCountParams,
    convlstmCode: convlstmCode,
    MERGE_MODES: MERGE_MODES,
    RECURRENT: RECURRENT,
    STACK_KINDS: RECURRENT.concat(["Dense", "TimeDistributed", "RepeatVector", "Flatten",
      "Dropout", "Embedding"]).concat(POOLING)
  };

  // ------------------------------------------------------------------ the page

  var SVG = "http://www.w3.org/2000/svg";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var key in attrs || {}) {
      if (Object.prototype.hasOwnProperty.call(attrs, key)) { node.setAttribute(key, attrs[key]); }
    }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    for (var key in attrs) {
      if (Object.prototype.hasOwnProperty.call(attrs, key)) { node.setAttribute(key, attrs[key]); }
    }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  /* A size field: a whole number, or None when its checkbox is ticked. */
  function readSize(root, name, allowNone, shown) {
    if (allowNone && root.querySelector("#se-" + name + "-none").checked) { return { value: null }; }
    var text = root.querySelector("#se-" + name).value.trim();
    if (!/^[0-9]+$/.test(text) || Number(text) < 1) {
      return { error: (shown || name.replace("-", "_")) + " must be a whole number of at least 1, got " +
        JSON.stringify(text) + (allowNone ? ": type one, or tick None" : "") };
    }
    return { value: Number(text) };
  }

  function drawUnrolled(figure, kind, steps, flags) {
    var shown = steps === null ? 4 : Math.min(steps, 6);
    var elided = steps === null || steps > 6;
    var rows = flags.bidirectional ? 2 : 1;
    var w = 92, left = 70, top = 28, rowH = 92;
    var width = left + shown * w + 20, height = top + rows * rowH + 40;
    var root = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img",
      "aria-labelledby": "se-diagram-caption", "class": "se-diagram" });
    var stepLabel = function (i) {
      if (!elided || i < shown - 1) { return String(i + 1); }
      return steps === null ? "T" : String(steps);
    };
    for (var i = 0; i < shown; i++) {
      var x = left + i * w;
      var gap = elided && i === shown - 2;
      root.appendChild(svg("text", { x: x + 30, y: height - 8, "class": "se-label", "text-anchor": "middle" },
        gap ? "…" : "x" + stepLabel(i)));
      if (gap) {
        root.appendChild(svg("text", { x: x + 30, y: top + rowH / 2, "class": "se-label", "text-anchor": "middle" }, "…"));
      }
    }
    for (var r = 0; r < rows; r++) {
      var backward = r === 1;
      var y = top + r * rowH + 20;
      root.appendChild(svg("text", { x: 4, y: y + 18, "class": "se-label" }, backward ? "backward" : (rows === 2 ? "forward" : kind)));
      for (var j = 0; j < shown; j++) {
        if (elided && j === shown - 2) { continue; }
        var cx = left + j * w;
        var last = backward ? j === 0 : j === shown - 1;
        var returned = flags.return_sequences || last;
        root.appendChild(svg("rect", { x: cx, y: y, width: 60, height: 30, rx: 4, "class": "se-cell" }));
        root.appendChild(svg("text", { x: cx + 30, y: y + 20, "text-anchor": "middle", "class": "se-label" }, kind === "SimpleRNN" ? "RNN" : kind));
        var hClass = "se-state" + (returned ? " se-returned" : "") + (last && flags.return_state ? " se-final" : "");
        root.appendChild(svg("circle", { cx: cx + 30, cy: y - 12, r: 9, "class": hClass }));
        root.appendChild(svg("text", { x: cx + 44, y: y - 14, "class": "se-label se-small" }, "h" + stepLabel(j)));
        if (j < shown - 1 && !(elided && j === shown - 3)) {
          root.appendChild(svg("line", { x1: backward ? cx + 92 : cx + 60, y1: y + 15, x2: backward ? cx + 60 : cx + 92, y2: y + 15, "class": "se-edge" }));
        }
      }
    }
    figure.replaceChildren(root);
    return root;
  }

  function diagramText(kind, steps, flags) {
    var n = steps === null ? "every" : String(steps);
    var which = flags.return_sequences ?
      "all " + (steps === null ? "" : n + " ") + "hidden states are returned (highlighted)" :
      "only the last hidden state is returned (highlighted)";
    var dirs = flags.bidirectional ?
      "Two rows of " + kind + " cells, forward left to right and backward right to left; the backward layer's last state sits at the first timestep. " :
      "A row of " + kind + " cells unrolled over the timesteps. ";
    var states = flags.return_state ? " The final state of each direction is also returned (ringed)." : "";
    return "Unrolled diagram. " + dirs + "With return_sequences=" + (flags.return_sequences ? "True" : "False") + ", " + which + "." + states;
  }

  function shapeTable(names, shapes) {
    var table = el("table", { "class": "se-table" });
    var head = el("thead"), tr = el("tr");
    tr.appendChild(el("th", { scope: "col" }, "tensor"));
    tr.appendChild(el("th", { scope: "col" }, "shape"));
    head.appendChild(tr);
    table.appendChild(head);
    var body = el("tbody");
    names.forEach(function (name, i) {
      var row = el("tr");
      row.appendChild(el("th", { scope: "row" }, name));
      row.appendChild(el("td", {}, pyRepr(shapes[i])));
      body.appendChild(row);
    });
    table.appendChild(body);
    return table;
  }

  function updateLayer(root) {
    var kind = root.querySelector("#se-layer").value;
    var flags = {
      return_sequences: root.querySelector("#se-return-sequences").checked,
      return_state: root.querySelector("#se-return-state").checked,
      bidirectional: root.querySelector("#se-bidirectional").checked,
      merge_mode: root.querySelector("#se-merge-mode").value,
      use_bias: root.querySelector("#se-use-bias").checked,
      reset_after: root.querySelector("#se-reset-after").checked
    };
    if (flags.merge_mode === "None") { flags.merge_mode = null; }
    root.querySelector("#se-merge-mode").disabled = !flags.bidirectional;
    root.querySelector("#se-reset-after").disabled = kind !== "GRU";
    ["batch", "timesteps"].forEach(function (name) {
      root.querySelector("#se-" + name).disabled = root.querySelector("#se-" + name + "-none").checked;
    });
    var sizes = [readSize(root, "batch", true), readSize(root, "timesteps", true),
      readSize(root, "features", false), readSize(root, "units", false)];
    var errors = sizes.filter(function (s) { return s.error; }).map(function (s) { return s.error; });
    var result = root.querySelector("#se-result");
    var message = root.querySelector("#se-message");
    message.textContent = errors.join("; ");
    if (errors.length) { result.hidden = true; return; }
    result.hidden = false;
    var inputShape = [sizes[0].value, sizes[1].value, sizes[2].value];
    var units = sizes[3].value;
    var shapes = rnnOutputShape(inputShape, units, { layer: kind, return_sequences: flags.return_sequences,
      return_state: flags.return_state, bidirectional: flags.bidirectional, merge_mode: flags.merge_mode });
    var params = countParams(inputShape[2], units, { layer: kind, bidirectional: flags.bidirectional,
      use_bias: flags.use_bias, reset_after: flags.reset_after });
    var several = Array.isArray(shapes[0]);
    var names = tensorNames(kind, flags);
    root.querySelector("#se-repr").textContent = pyRepr(shapes);
    root.querySelector("#se-structure").textContent = several ?
      "a tuple of " + shapes.length + " tensors, in this order:" : "one tensor:";
    root.querySelector("#se-tensors").replaceChildren(shapeTable(names, several ? shapes : [shapes]));
    root.querySelector("#se-params").textContent = params.toLocaleString("en-US");
    root.querySelector("#se-code").textContent = layerCode(inputShape, kind, units, flags);
    var caption = diagramText(kind, inputShape[1], flags);
    root.querySelector("#se-diagram-caption").textContent = caption;
    drawUnrolled(root.querySelector("#se-diagram"), kind, inputShape[1], flags);
  }

  // ---- stack mode

  var DEFAULT_STACK = [
    { layer: "LSTM", units: 64, return_sequences: true },
    { layer: "LSTM", units: 64 },
    { layer: "Dense", units: 1 }
  ];

  function newSpec(kind) {
    if (isRecurrent(kind)) { return { layer: kind, units: 16 }; }
    if (kind === "Dense" || kind === "TimeDistributed") { return { layer: kind, units: 1 }; }
    if (kind === "RepeatVector") { return { layer: kind, n: 5 }; }
    if (kind === "Embedding") { return { layer: kind, input_dim: 1000, output_dim: 16 }; }
    return { layer: kind };
  }

  function stackRowControls(state, spec, index, rerender) {
    var item = el("li", { "class": "se-stack-layer" });
    var n = index + 1;
    var title = el("span", { "class": "se-stack-name" }, n + ". " + label(spec));
    item.appendChild(title);
    function field(labelText, input) {
      var wrap = el("label", { "class": "se-inline" });
      wrap.appendChild(document.createTextNode(labelText + " "));
      wrap.appendChild(input);
      item.appendChild(wrap);
    }
    function number(key, labelText) {
      var input = el("input", { type: "number", min: "1", step: "1", value: String(spec[key]),
        id: "se-stack-" + n + "-" + key, "class": "se-number" });
      input.addEventListener("change", function () {
        var v = Number(input.value);
        if (Number.isInteger(v) && v >= 1) { spec[key] = v; }
        rerender(false);
      });
      field(labelText, input);
    }
    function check(key, labelText) {
      var input = el("input", { type: "checkbox", id: "se-stack-" + n + "-" + key });
      input.checked = !!spec[key];
      input.addEventListener("change", function () { spec[key] = input.checked; rerender(false); });
      var wrap = el("label", { "class": "se-inline" });
      wrap.appendChild(input);
      wrap.appendChild(document.createTextNode(" " + labelText));
      item.appendChild(wrap);
    }
    if (spec.units !== undefined) { number("units", "units"); }
    if (spec.n !== undefined) { number("n", "n"); }
    if (spec.input_dim !== undefined) { number("input_dim", "input_dim"); }
    if (spec.output_dim !== undefined) { number("output_dim", "output_dim"); }
    if (isRecurrent(spec.layer)) {
      check("return_sequences", "return_sequences");
      check("bidirectional", "Bidirectional");
      if (spec.bidirectional) {
        var select = el("select", { id: "se-stack-" + n + "-merge_mode" });
        MERGE_MODES.forEach(function (mode) {
          var option = el("option", { value: mode === null ? "None" : mode }, mode === null ? "None" : mode);
          if ((spec.merge_mode === undefined ? "concat" : spec.merge_mode) === mode) { option.selected = true; }
          select.appendChild(option);
        });
        select.addEventListener("change", function () {
          spec.merge_mode = select.value === "None" ? null : select.value; rerender(false);
        });
        field("merge_mode", select);
      }
    }
    var remove = el("button", { type: "button", "class": "se-button", id: "se-stack-" + n + "-remove",
      "aria-label": "Remove layer " + n + " (" + label(spec) + ")" }, "Remove");
    remove.addEventListener("click", function () {
      state.layers.splice(index, 1);
      rerender(true, Math.min(index, state.layers.length - 1));
    });
    item.appendChild(remove);
    return item;
  }

  function renderStack(root, state, focusRemove) {
    var inputShape = [null, null, null];
    var sizes = [readSize(root, "batch", true), readSize(root, "timesteps", true), readSize(root, "features", false)];
    if (sizes.some(function (s) { return s.error; })) { return; }
    inputShape = sizes.map(function (s) { return s.value; });
    var ids = state.layers.length > 0 && state.layers[0].layer === "Embedding";
    if (ids) { inputShape = inputShape.slice(0, 2); }  // integer ids: no features axis
    var list = root.querySelector("#se-stack-layers");
    var rerender = function (structural, focusIndex) {
      renderStack(root, state, structural ? (focusIndex === undefined ? -1 : focusIndex) : undefined);
    };
    var active = document.activeElement && document.activeElement.id;
    list.replaceChildren.apply(list, state.layers.map(function (spec, i) {
      return stackRowControls(state, spec, i, rerender);
    }));
    var again = active ? document.getElementById(active) : null;
    if (again && root.contains(again) && focusRemove === undefined) { again.focus(); }
    if (focusRemove !== undefined) {
      var target = focusRemove >= 0 ? root.querySelector("#se-stack-" + (focusRemove + 1) + "-remove") : null;
      (target || root.querySelector("#se-stack-kind")).focus();
    }
    var table = root.querySelector("#se-stack-table tbody");
    var status = root.querySelector("#se-stack-status");
    if (!state.layers.length) {
      table.replaceChildren();
      status.textContent = "The stack is empty: add a layer.";
      root.querySelector("#se-stack-code").textContent = "";
      return;
    }
    var trace = predictStack(inputShape, state.layers);
    table.replaceChildren.apply(table, trace.rows.map(function (row) {
      var tr = el("tr", row.problem ? { "class": "se-fails" } : {});
      tr.appendChild(el("td", {}, String(row.index)));
      tr.appendChild(el("th", { scope: "row" }, row.layer));
      tr.appendChild(el("td", {}, row.problem ? "(fails)" : row.output_shape === null ? "(not computed)" : pyRepr(row.output_shape)));
      tr.appendChild(el("td", {}, row.params === null ? "-" : row.params.toLocaleString("en-US")));
      return tr;
    }));
    status.replaceChildren();
    if (trace.ok) {
      status.appendChild(el("span", {}, "Keras builds this stack. Output shape " +
        pyRepr(trace.output_shape) + ", total params " + trace.total_params.toLocaleString("en-US") + "."));
    } else {
      status.appendChild(el("strong", {}, "Problem: "));
      status.appendChild(el("span", { id: "se-stack-problem" }, trace.problem));
    }
    root.querySelector("#se-stack-code").textContent = stackCode(inputShape, state.layers);
  }

  function copyButton(button, codeId) {
    button.addEventListener("click", function () {
      var text = document.getElementById(codeId).textContent;
      var note = button.parentNode.querySelector(".se-copied");
      function done(message) { if (note) { note.textContent = message; } }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done("Copied."); },
          function () { done("Copy failed: select the code and copy it."); });
      } else {
        var range = document.createRange();
        range.selectNodeContents(document.getElementById(codeId));
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        done("Selected: press Ctrl+C (Cmd+C on a Mac) to copy.");
      }
    });
  }

  // ---- ConvLSTM2D mode: its own input (frames) and arguments, below the stack

  function numberField(name, text, value, hidden) {
    return '<span class="se-inline"><label for="se-conv-' + name + '"' +
      (hidden ? ' class="se-visually-hidden"' : "") + ">" + text + "</label>" +
      (hidden ? '<span aria-hidden="true">×</span>' : "") +
      '<input id="se-conv-' + name + '" type="number" min="1" step="1" value="' + value +
      '" inputmode="numeric" class="se-number"></span>';
  }

  function noneBox(name, text) {
    return '<label class="se-inline"><input id="se-conv-' + name + '-none" type="checkbox">' +
      '<span class="se-visually-hidden">' + text + ' is </span>None</label>';
  }

  /* Two sizes, one per spatial axis: "kernel_size [3] × [3]", each input named for its axis. */
  function pairField(name, text, value) {
    return numberField(name + "-rows", text + '<span class="se-visually-hidden"> (rows)</span>', value) +
      numberField(name + "-cols", text + " (cols)", value, true);
  }

  function checkBox(name, text, checked) {
    return '<label class="se-inline"><input id="se-conv-' + name + '" type="checkbox"' +
      (checked ? " checked" : "") + ">" + text + "</label>";
  }

  function selectField(name, text, options) {
    return '<span class="se-inline"><label for="se-conv-' + name + '">' + text + "</label>" +
      '<select id="se-conv-' + name + '">' + options.map(function (option, i) {
        return '<option value="' + option + '"' + (i === 0 ? " selected" : "") + ">" + option + "</option>";
      }).join("") + "</select></span>";
  }

  var CONV_MARKUP = [
    '<h3 id="se-conv">A convolutional recurrent layer: ConvLSTM2D</h3>',
    "<p>ConvLSTM2D reads a sequence of frames, each with rows, columns and channels, so it ",
    "has an input shape of its own. Its output keeps the frame, shrunk by the strides and, ",
    "with padding \"valid\", by the kernel's reach (its size and dilation_rate): ",
    '<a href="convlstm.html">Read image sequences with convolutional ',
    "recurrent layers</a> works out each rule.</p>",
    '<fieldset id="se-conv-input-controls"><legend id="se-conv-legend"></legend>',
    '<div class="se-row">' + numberField("batch", "batch_size", 32) + noneBox("batch", "batch_size") + "</div>",
    '<div class="se-row">' + numberField("timesteps", "timesteps", 8) + noneBox("timesteps", "timesteps") + "</div>",
    '<div class="se-row">' + numberField("rows", "rows", 16) + numberField("cols", "cols", 16) +
      numberField("channels", "channels", 1) + "</div>",
    '<div class="se-row">' + selectField("data-format", "data_format", ["channels_last", "channels_first"]) + "</div>",
    "</fieldset>",
    '<fieldset id="se-conv-layer-controls"><legend>ConvLSTM2D and its arguments</legend>',
    '<div class="se-row">' + numberField("filters", "filters", 4) + pairField("kernel", "kernel_size", 3) + "</div>",
    '<div class="se-row">' + pairField("strides", "strides", 1) + numberField("dilation", "dilation_rate", 1) +
      selectField("padding", "padding", ["valid", "same"]) + "</div>",
    '<div class="se-row">' + checkBox("return-sequences", "return_sequences") +
      checkBox("return-state", "return_state") + checkBox("use-bias", "use_bias", true) + "</div>",
    "</fieldset>",
    '<p id="se-conv-message" class="se-message" role="alert"></p>',
    '<div id="se-conv-result" class="se-result">',
    '<p id="se-conv-summary" aria-live="polite">Keras returns <span id="se-conv-structure"></span> ',
    '<code id="se-conv-repr" class="se-repr"></code>, with <span id="se-conv-params"></span> parameters.</p>',
    '<div id="se-conv-tensors"></div>',
    '<p id="se-conv-note" hidden>Keras builds a channels_first layer with these shapes; the book\'s ',
    "CPU session then refuses to run it on numbers: see ",
    '<a href="convlstm.html#data-format-channels-first">data_format="channels_first"</a>.</p>',
    '<p><strong>The Keras code</strong> <button type="button" class="se-button" id="se-conv-copy">Copy code</button>',
    '<span class="se-copied" aria-live="polite"></span></p>',
    '<pre tabindex="0" aria-label="Keras code for this ConvLSTM2D layer"><code id="se-conv-code"></code></pre>',
    "</div>"
  ].join("");

  /* The fields read in order; a third entry is the name the message gives the field. */
  var CONV_SIZES = [["batch", true, "batch_size"], ["timesteps", true], ["rows"], ["cols"],
    ["channels"], ["filters"], ["kernel-rows", false, "kernel_size (rows)"],
    ["kernel-cols", false, "kernel_size (cols)"], ["strides-rows", false, "strides (rows)"],
    ["strides-cols", false, "strides (cols)"], ["dilation", false, "dilation_rate"]];

  function updateConv(root) {
    var q = function (name) { return root.querySelector("#se-conv-" + name); };
    ["batch", "timesteps"].forEach(function (name) { q(name).disabled = q(name + "-none").checked; });
    var first = q("data-format").value === "channels_first";
    q("legend").textContent = "Input shape " + (first ?
      "(batch_size, timesteps, channels, rows, cols)" : "(batch_size, timesteps, rows, cols, channels)");
    var size = {}, errors = [];
    CONV_SIZES.forEach(function (field) {
      var read = readSize(root, "conv-" + field[0], !!field[1], field[2] || field[0]);
      if (read.error) { errors.push(read.error); } else { size[field[0]] = read.value; }
    });
    var message = q("message"), result = q("result");
    var frame = first ? [size.channels, size.rows, size.cols] : [size.rows, size.cols, size.channels];
    var inputShape = [size.batch, size.timesteps].concat(frame);
    var kernel = [size["kernel-rows"], size["kernel-cols"]];
    var options = { rank: 2, strides: [size["strides-rows"], size["strides-cols"]],
      dilation_rate: size.dilation, padding: q("padding").value,
      data_format: q("data-format").value, return_sequences: q("return-sequences").checked,
      return_state: q("return-state").checked, use_bias: q("use-bias").checked };
    var shapes = null;
    if (!errors.length) {
      try {
        shapes = convlstmOutputShape(inputShape, size.filters, kernel, options);
      } catch (error) {
        if (!(error instanceof Problem)) { throw error; }
        errors.push("Keras refuses this layer: " + error.message);
      }
    }
    message.textContent = errors.join("; ");
    result.hidden = shapes === null;
    if (shapes === null) { return; }
    var names = options.return_state ? ["outputs", "state_h", "state_c"] : ["outputs"];
    q("repr").textContent = pyRepr(shapes);
    q("structure").textContent = options.return_state ? "a tuple of 3 tensors, in this order:" : "one tensor:";
    q("tensors").replaceChildren(shapeTable(names, options.return_state ? shapes : [shapes]));
    q("params").textContent = convlstmCountParams(size.channels, size.filters, kernel,
      { rank: 2, use_bias: options.use_bias }).toLocaleString("en-US");
    q("note").hidden = !first;
    q("code").textContent = convlstmCode(inputShape, size.filters, kernel, options);
  }

  function startConv(root) {
    var section = el("div", { id: "se-conv-section" });
    section.innerHTML = CONV_MARKUP;
    root.appendChild(section);
    section.querySelectorAll("input, select").forEach(function (input) {
      input.addEventListener("input", function () { updateConv(root); });
      input.addEventListener("change", function () { updateConv(root); });
    });
    copyButton(root.querySelector("#se-conv-copy"), "se-conv-code");
    updateConv(root);
  }

  function start() {
    var root = document.getElementById("shape-explorer");
    if (!root) { return; }
    root.hidden = false;
    var fallback = document.getElementById("shape-explorer-noscript");
    if (fallback) { fallback.hidden = true; }
    var state = { layers: DEFAULT_STACK.map(function (s) { return withDefaults(s); }) };
    var refresh = function () { updateLayer(root); renderStack(root, state); };
    root.querySelectorAll("#se-layer-controls input, #se-layer-controls select, #se-input-controls input")
      .forEach(function (input) {
        input.addEventListener("input", refresh);
        input.addEventListener("change", refresh);
      });
    var kindSelect = root.querySelector("#se-stack-kind");
    window.ShapeRules.STACK_KINDS.forEach(function (kind) {
      kindSelect.appendChild(el("option", { value: kind }, kind === "TimeDistributed" ? "TimeDistributed(Dense)" : kind));
    });
    root.querySelector("#se-stack-add").addEventListener("click", function () {
      var spec = withDefaults(newSpec(kindSelect.value));
      if (spec.layer !== "Embedding") {
        state.layers.push(spec);
      } else if (!state.layers.length || state.layers[0].layer !== "Embedding") {
        state.layers.unshift(spec);  // an Embedding reads the ids: always the first layer
      }
      renderStack(root, state);
    });
    root.querySelector("#se-stack-reset").addEventListener("click", function () {
      state.layers = DEFAULT_STACK.map(function (s) { return withDefaults(s); });
      renderStack(root, state);
    });
    copyButton(root.querySelector("#se-copy"), "se-code");
    copyButton(root.querySelector("#se-stack-copy"), "se-stack-code");
    root.stackState = state;
    refresh();
    startConv(root);
  }

  // The page includes this script right after the explorer's markup: draw it at once,
  // before the rest of the page is parsed and painted, so that nothing below it moves.
  if (document.readyState === "loading" && !document.getElementById("shape-explorer")) {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
