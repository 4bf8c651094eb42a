#!/usr/bin/env bash
# Upload one file with nothing but curl (and sha256sum): declare it, PUT its bytes to the
# presigned URL with the returned headers, then poll its record until it is final.
#
#   set -a; . ./scalper-local.env; set +a   # exports SCALPER_ENDPOINT and SCALPER_API_KEY
#   examples/curl_flow.sh examples/data/patients.csv text/csv
set -euo pipefail
file=${1:?usage: curl_flow.sh FILE [CONTENT_TYPE]}
content_type=${2:-text/csv}
: "${SCALPER_ENDPOINT:?set SCALPER_ENDPOINT}" "${SCALPER_API_KEY:?set SCALPER_API_KEY}"

# Read one field of the JSON on stdin: json_field upload url
json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin); [d := d[k] for k in sys.argv[1:]]; print(d)' "$@"; }

size=$(wc -c < "$file" | tr -d ' ')
sha256=$(sha256sum "$file" | cut -d ' ' -f 1)

# 1. Declare the file: the API answers with a file id and a presigned PUT.
ticket=$(curl -sS --fail-with-body -X POST "$SCALPER_ENDPOINT/uploads" \
  -H "x-api-key: $SCALPER_API_KEY" -H "Content-Type: application/json" \
  -d "{\"filename\": \"$(basename "$file")\", \"size\": $size, \"content_type\": \"$content_type\", \"sha256\": \"$sha256\"}")
file_id=$(json_field file_id <<<"$ticket")
echo "declared $file_id"

# 2. PUT the bytes with exactly the returned headers (S3 checks them against the signature),
#    unless this partner already has this file (same SHA-256 and name): then there is no upload.
if [ "$(json_field duplicate_of <<<"$ticket")" != None ]; then
  echo "already uploaded as $file_id"
else
  url=$(json_field upload url <<<"$ticket")
  checksum=$(json_field upload headers x-amz-checksum-sha256 <<<"$ticket")
  curl -sS --fail-with-body -X PUT --upload-file "$file" \
    -H "Content-Type: $content_type" -H "x-amz-checksum-sha256: $checksum" "$url"
  echo "uploaded $size bytes"
fi

# 3. Poll the record until it is processed or quarantined.
for _ in $(seq 1 120); do
  record=$(curl -sS --fail-with-body "$SCALPER_ENDPOINT/files/$file_id" -H "x-api-key: $SCALPER_API_KEY")
  state=$(json_field state <<<"$record")
  if [ "$state" = processed ] || [ "$state" = quarantined ]; then
    echo "$record"
    echo "state: $state"
    exit 0
  fi
  sleep 0.5
done
echo "state: $state (still not final after 60s)" >&2
exit 1
