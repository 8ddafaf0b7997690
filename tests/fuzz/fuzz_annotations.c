/* Fuzzes the annotation file parsers (ie_annot_parse_buffer) and the statistics built on them.
 * The first byte picks the format: 0x01 YOLO label text, 0x02 COCO JSON, 0x03 VOC XML, 0x04 YOLO
 * data.yaml, each followed by the file; any other first byte is part of the file, whose format
 * is guessed from it ('<' VOC, '{' or '[' COCO, a letter or '#' data.yaml, else YOLO labels), so
 * the fixtures serve as seeds as they are. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/annotations.h"

enum kind { LABELS, COCO, VOC, DATA_YAML };

/* Fed before a label file, so that its class ids have names; after a data.yaml, so that its
 * names are counted. */
static const char yolo_yaml[] = "names: [cat, dog, bird]\n";
static const char yolo_labels[] = "0 0.5 0.5 0.2 0.2\n2 0.1 0.1 0.3 0.4\n7 0.9 0.9 0.1 0.1\n";

static enum kind pick(const uint8_t *data, size_t size, size_t *skip)
{
    *skip = 0;
    if (size == 0)
        return LABELS;
    if (data[0] >= 1 && data[0] <= 4) {
        *skip = 1;
        return (enum kind)(data[0] - 1);
    }
    if (data[0] == '<')
        return VOC;
    if (data[0] == '{' || data[0] == '[')
        return COCO;
    return isalpha(data[0]) || data[0] == '#' ? DATA_YAML : LABELS;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ie_annot_result r;
    size_t skip;
    enum kind k = pick(data, size, &skip);
    /* libFuzzer's buffer ends where the input does, so reading past the file is caught. */
    const char *file = (const char *)data + skip;
    size_t len = size - skip;

    ie_annot_result_init(&r);
    switch (k) {
    case LABELS:
        ie_annot_parse_buffer(&r, IE_ANNOT_YOLO, "data.yaml", yolo_yaml, strlen(yolo_yaml), NULL);
        ie_annot_parse_buffer(&r, IE_ANNOT_YOLO, "labels/train/a.txt", file, len, NULL);
        break;
    case COCO:
        ie_annot_parse_buffer(&r, IE_ANNOT_COCO, "annotations/instances_train.json", file, len,
                              NULL);
        break;
    case VOC:
        ie_annot_parse_buffer(&r, IE_ANNOT_VOC, "Annotations/a.xml", file, len, NULL);
        break;
    case DATA_YAML:
        ie_annot_parse_buffer(&r, IE_ANNOT_YOLO, "data.yaml", file, len, NULL);
        ie_annot_parse_buffer(&r, IE_ANNOT_YOLO, "labels/val/a.txt", yolo_labels,
                              strlen(yolo_labels), NULL);
        break;
    }
    ie_annot_result_finish(&r);
    free(ie_annot_result_to_json(&r, true));
    ie_annot_result_release(&r);
    return 0;
}
