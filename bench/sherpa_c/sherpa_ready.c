/* The C peer of bench/bench_footprint.py: sherpa-onnx's C API loads the streaming transducer
 * (the same encoder/decoder/joiner and tokens.txt Lingyin uses), decodes a clip (raw float32
 * 16 kHz mono, or 1 s of silence when none is given), then says "ready" on stdout with its load
 * and decode times and waits for one line on stdin before it exits, so that its parent can read
 * its memory (/proc/PID/smaps_rollup) while the recogniser is loaded.
 *
 *     sherpa_ready MODEL_DIR ENCODER DECODER JOINER [CLIP.f32]
 *
 * Built by bench/sherpa_c/build.sh against the C API the sherpa-onnx wheel ships. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sherpa-onnx/c-api/c-api.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static float *read_clip(const char *path, int32_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long bytes = ftell(f);
  fseek(f, 0, SEEK_SET);
  float *samples = malloc(bytes);
  *n = (int32_t)(fread(samples, sizeof(float), bytes / sizeof(float), f));
  fclose(f);
  return samples;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s MODEL_DIR ENCODER DECODER JOINER [CLIP.f32]\n", argv[0]);
    return 2;
  }
  char encoder[4096], decoder[4096], joiner[4096], tokens[4096];
  snprintf(encoder, sizeof encoder, "%s/%s", argv[1], argv[2]);
  snprintf(decoder, sizeof decoder, "%s/%s", argv[1], argv[3]);
  snprintf(joiner, sizeof joiner, "%s/%s", argv[1], argv[4]);
  snprintf(tokens, sizeof tokens, "%s/tokens.txt", argv[1]);

  double t0 = now();
  SherpaOnnxOnlineRecognizerConfig config;
  memset(&config, 0, sizeof config);
  config.feat_config.sample_rate = 16000;
  config.feat_config.feature_dim = 80;
  config.model_config.transducer.encoder = encoder;
  config.model_config.transducer.decoder = decoder;
  config.model_config.transducer.joiner = joiner;
  config.model_config.tokens = tokens;
  config.model_config.num_threads = 1;
  config.model_config.provider = "cpu";
  config.decoding_method = "greedy_search";
  config.max_active_paths = 4;
  const SherpaOnnxOnlineRecognizer *recognizer = SherpaOnnxCreateOnlineRecognizer(&config);
  if (recognizer == NULL) {
    fprintf(stderr, "could not create the recognizer (see the messages above)\n");
    return 1;
  }
  double t1 = now();

  int32_t n = 16000;
  float *samples = NULL;
  if (argc > 5) {
    samples = read_clip(argv[5], &n);
    if (samples == NULL) {
      fprintf(stderr, "cannot read %s\n", argv[5]);
      return 1;
    }
  } else {
    samples = calloc(n, sizeof(float));
  }
  float *tail = calloc(8000, sizeof(float));
  const SherpaOnnxOnlineStream *stream = SherpaOnnxCreateOnlineStream(recognizer);
  SherpaOnnxOnlineStreamAcceptWaveform(stream, 16000, samples, n);
  SherpaOnnxOnlineStreamAcceptWaveform(stream, 16000, tail, 8000);
  SherpaOnnxOnlineStreamInputFinished(stream);
  while (SherpaOnnxIsOnlineStreamReady(recognizer, stream)) {
    SherpaOnnxDecodeOnlineStream(recognizer, stream);
  }
  const SherpaOnnxOnlineRecognizerResult *result =
      SherpaOnnxGetOnlineStreamResult(recognizer, stream);
  double t2 = now();
  printf("ready load_s=%.4f decode_s=%.4f tokens=%d text=%s\n", t1 - t0, t2 - t1, result->count,
         result->text);
  fflush(stdout);
  SherpaOnnxDestroyOnlineRecognizerResult(result);

  char line[16];
  if (fgets(line, sizeof line, stdin) == NULL) { /* parent closed stdin: exit all the same */
  }
  SherpaOnnxDestroyOnlineStream(stream);
  SherpaOnnxDestroyOnlineRecognizer(recognizer);
  free(samples);
  free(tail);
  return 0;
}
